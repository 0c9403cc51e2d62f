"""Cost: the model actually used, per domain, worker, tier and source; unpriced is not zero."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from genai_prices import Usage as PriceUsage
from genai_prices import calc_price
from typer.testing import CliRunner

from prefrontal import Config, cost_ledger, open_system
from prefrontal.cli import app
from prefrontal.journal.sql import open_journal
from prefrontal.testing import FakeClock, MemoryJournal, ScriptedModel

pytestmark = pytest.mark.anyio

CONFIG = """
[models]
cheap = "anthropic:claude-haiku-4-5"
local = { base_url = "http://127.0.0.1:9/v1", model = "qwen-local" }

[workers.summarize]
kind = "llm"
tier = "cheap"
instructions = "Summarize."

[workers.guess]
kind = "llm"
tier = "local"
instructions = "Guess."

[workers.sms]
kind = "tool"
function = "cost_mod:sms"
cost_usd = 0.01

[domains.home]
charter = "the house"
policy = "cost_mod:home"
workers = ["summarize", "sms", "guess"]
"""

MODULE = """
from prefrontal import *

def sms(text: str) -> str:
    return "sent"

def home(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(
            CommissionAction(worker="summarize", inputs={"text": event.text}),
            CommissionAction(worker="sms", inputs={"text": event.text}),
            CommissionAction(worker="guess", inputs={"text": event.text}),
        )
    if isinstance(event, Report) and event.worker == "sms":
        return Decision.of(ScheduleAction(name="later", after_s=60))
    if isinstance(event, TimerEvent):
        return Decision.of(CommissionAction(worker="summarize", inputs={"text": "tick"}))
    return Decision.of()
"""


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(CONFIG, cost_mod=MODULE)


async def test_costs_are_attributed_and_unpriced_models_are_not_zero(config: Config) -> None:
    journal = MemoryJournal()
    clock = FakeClock()
    cheap = ScriptedModel(["a summary"], input_tokens=2000, output_tokens=100)
    local = ScriptedModel(["a guess"], model_name="qwen-local", provider="openai")
    async with open_system(
        config, journal=journal, clock=clock, models={"cheap": cheap, "local": local}
    ) as system:
        await system.submit("@home read this")
        await system.run_until_idle()
        clock.advance(60)
        await system.run_until_idle()
    ledger = cost_ledger(journal)
    price = calc_price(
        PriceUsage(input_tokens=2000, output_tokens=100),
        "claude-haiku-4-5",
        provider_id="anthropic",
    ).total_price

    by_worker = ledger.by("worker")
    assert by_worker["summarize"].cost_usd == 2 * price
    assert by_worker["summarize"].input_tokens == 4000
    assert by_worker["sms"].cost_usd == Decimal("0.01")
    assert by_worker["guess"].unpriced == 1
    assert by_worker["guess"].money == "unpriced (1 calls, 120 tokens)"
    assert by_worker["guess"].input_tokens == 100

    by_tier = ledger.by("tier")
    assert set(by_tier) == {"cheap", "local", "tool"}
    assert ledger.by("model")["qwen-local"].cost_usd == Decimal(0)
    assert ledger.by("domain")["home"].cost_usd == 2 * price + Decimal("0.01")
    assert ledger.total.money == (
        f"${2 * price + Decimal('0.01'):.4f} + unpriced (1 calls, 120 tokens)"
    )
    by_source = ledger.by("source")
    assert by_source["request"].cost_usd == price + Decimal("0.01")
    assert by_source["timer"].cost_usd == price


GUESS_MODULE = """
from prefrontal import *

def home(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="guess", inputs={"text": event.text}))
    return Decision.of()
"""


async def test_status_shows_unpriced_spend_as_unpriced_never_as_zero(
    write_config: Callable[..., Config],
) -> None:
    toml = CONFIG.replace('workers = ["summarize", "sms", "guess"]', 'workers = ["guess"]')
    toml = toml.replace("cost_mod:home", "guess_mod:home")
    config = write_config(toml, guess_mod=GUESS_MODULE, cost_mod=MODULE)
    journal = open_journal(config.journal_url())
    local = ScriptedModel(["a guess"], model_name="qwen-local", provider="openai")
    models = {"local": local, "cheap": ScriptedModel(["unused"])}
    async with open_system(config, journal=journal, models=models) as system:
        await system.submit("@home guess")
        await system.run_until_idle()
    journal.close()

    # status builds what run builds, so the hosted tier needs its key (never used here)
    env = {"ANTHROPIC_API_KEY": "sk-test-not-used"}
    shown = CliRunner().invoke(app, ["status", "-c", config.source], env=env)

    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "unpriced" in text
    assert "$0.0000" not in text
