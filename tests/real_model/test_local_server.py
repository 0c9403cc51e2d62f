"""Prefrontal against a real model: SmolLM2-135M behind llama.cpp's server on 127.0.0.1.

A 135M model decides badly; these tests assert plumbing, not judgement: outputs parsed into
their types, usage recorded per attempt and shown unpriced, every call ended within its
limit, and each failure typed, naming the tier, model and URL. They run wherever
``scripts/local-model.sh build`` has been run, and skip, saying why, where it has not (CI)
or with ``PREFRONTAL_REAL_MODEL=0``. The two that need no model (a server that never
answers, one that is down) always run.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import pytest
from local_stack import silent_server
from typer.testing import CliRunner

from prefrontal import Config, DecisionEvent, InboxItem, open_system
from prefrontal.cli import app
from prefrontal.journal import Journal
from prefrontal.journal.sql import open_journal
from prefrontal.models.pricing import UnpricedTierWarning
from prefrontal.seam import Report
from support.model_server import closed_port

pytestmark = [pytest.mark.anyio, pytest.mark.real_model]

CONFIG = """
[journal]
url = "sqlite:///journal.db"

[models.local]
base_url = "{url}"
model = "smollm2"
server = "llama.cpp"
timeout_s = {timeout_s}
max_tokens = {max_tokens}
{extra}

[workers.tag]
kind = "llm"
tier = "local"
instructions = "Tag the principal's note: its topic, and whether it is urgent."
output = "real_mod:Tag"
max_tokens = {worker_tokens}
timeout_s = 300
retries = 1

[domains.home]
charter = "the house and the garden"
policy = "real_mod:commission_tag"
workers = ["tag"]

[domains.boss]
charter = "answers the principal's short questions"
policy = {{ kind = "llm", tier = "local", retries = 1 }}
"""

MODULE = """
from typing import Literal
from pydantic import BaseModel
from prefrontal import *

class Tag(BaseModel):
    topic: Literal["garden", "kitchen", "money"]
    urgent: bool

def commission_tag(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="tag", inputs={"note": event.text}))
    if isinstance(event, Report) and event.ok:
        return Decision.of(ReplyAction(text=f"tagged: {event.output}"))
    return Decision.of(EscalateAction(text="tagging failed"))
"""

WriteConfig = Callable[..., Config]


def _config(write_config: WriteConfig, url: str, **tier: object) -> Config:
    # Generous limits: six developers share two cores, and a 1,600-token prompt is slow.
    values: dict[str, object] = {
        "timeout_s": 300, "max_tokens": 256, "worker_tokens": 64, "extra": "", **tier
    }  # fmt: skip
    return write_config(CONFIG.format(url=url, **values), real_mod=MODULE)


async def _ask(config: Config, *texts: str) -> tuple[Journal, float]:
    journal = open_journal(config.journal_url())
    begun = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with open_system(config, journal=journal) as system:
            for text in texts:
                await system.submit(text)
            await system.run_until_idle()
    # Budgeted domains on an unpriced tier are warned at start-up.
    assert any(isinstance(w.message, UnpricedTierWarning) for w in caught)
    assert journal.verify() == []
    return journal, time.perf_counter() - begun


def _decisions(journal: Journal, domain: str) -> list[DecisionEvent]:
    found = [s.event for s in journal.read(kinds=["decision"])]
    return [d for d in found if isinstance(d, DecisionEvent) and d.domain == domain]


def _inbox(journal: Journal) -> list[InboxItem]:
    return [s.event for s in journal.read(kinds=["inbox"]) if isinstance(s.event, InboxItem)]


def _status(config: Config) -> str:
    result = CliRunner().invoke(app, ["status", "-c", config.source])
    assert result.exit_code == 0, result.output
    return result.output


async def test_a_rule_policy_commissions_an_llm_worker_whose_output_is_parsed(
    write_config: WriteConfig, local_url: str
) -> None:
    config = _config(write_config, local_url)
    notes = ["the tomato plants need water today", "buy flour for the bread", "pay the rent"]
    journal, _ = await _ask(config, *(f"@home {note}" for note in notes))

    reports = [s.event for s in journal.read(kinds=["report"]) if isinstance(s.event, Report)]
    assert len(reports) == 3
    for report in reports:
        # Parsed into a Tag, or a typed failure naming where: never an untyped output.
        if report.status == "ok":
            assert report.output is not None
            assert report.output["topic"] in ("garden", "kitchen", "money")
            assert isinstance(report.output["urgent"], bool)
        else:
            assert report.error is not None
            assert f"tier 'local' (model 'smollm2' at {local_url})" in report.error.message
        assert report.usage
        assert all(u.requests == 1 for u in report.usage)  # one record per attempt
        assert all(u.model == "smollm2" and u.cost_usd is None for u in report.usage)
        assert all(u.output_tokens <= 64 for u in report.usage)  # the worker's max_tokens
    # The named tool constrains the output to the schema: at least one parses.
    assert any(r.status == "ok" for r in reports), [r.error for r in reports]
    assert any(i.text.startswith("tagged: ") for i in _inbox(journal))
    status = _status(config)
    assert "unpriced" in status
    assert "$0.0000" not in status


async def test_an_llm_policy_decides_a_few_requests_within_its_limit(
    write_config: WriteConfig, local_url: str
) -> None:
    config = _config(write_config, local_url, max_tokens=200, timeout_s=60)
    limit = config.domains["boss"].decision_timeout_s
    texts = ["@boss hello", "@boss what day is it?", "@boss say thanks"]
    journal, took = await _ask(config, *texts)

    decisions = _decisions(journal, "boss")
    assert len(decisions) == 3
    parsed = [d for d in decisions if not d.trips]
    assert parsed, [t.detail for d in decisions for t in d.trips]  # >= 1 valid Decision
    for decision in decisions:
        # The policy's call ends before the decision's time limit, as a typed failure with
        # its usage, so the orchestrator never has to stop it with its usage unknown.
        assert "decision timeout" not in [t.guard for t in decision.trips]
        assert decision.usage, "every decision records its model calls"
        assert all(u.cost_usd is None and u.tier == "local" for u in decision.usage)
        # max_tokens was sent: no response is longer than it.
        assert all(u.output_tokens <= 200 for u in decision.usage)
    assert took < 3 * limit + 30
    status = _status(config)
    assert "unpriced" in status
    assert "$0.0000" not in status  # neither domain's unpriced spend shows as free


async def test_output_cut_off_by_max_tokens_is_retried_then_escalated(
    write_config: WriteConfig, local_url: str
) -> None:
    # Four tokens cannot hold a Tag ('{ "topic":' is four): whatever the model says, it is
    # cut off. The worker's output retry gets the same limit; then the report fails, and the
    # rule policy escalates.
    config = _config(write_config, local_url, worker_tokens=4)
    journal, _ = await _ask(config, "@home the tomato plants need water today")

    [report] = [s.event for s in journal.read(kinds=["report"]) if isinstance(s.event, Report)]
    assert report.status == "failed"
    assert report.error is not None
    assert report.error.message.startswith(
        f"worker 'tag': tier 'local' (model 'smollm2' at {local_url})"
    )
    assert "stayed invalid after 1 retries" in report.error.message
    assert all(u.requests == 1 and u.output_tokens <= 4 for u in report.usage)
    assert len([u for u in report.usage if u.tokens]) >= 2  # the answer and its retry
    assert report.evidence[0].startswith("the model's last output (untrusted): ")
    assert [i.text for i in _inbox(journal)] == ["tagging failed"]


async def test_a_server_answering_500_is_retried_then_escalated(
    write_config: WriteConfig, local_url: str
) -> None:
    # llama.cpp's server refuses a JSON-schema response format with HTTP 500.
    config = _config(write_config, local_url, extra='structured = "json_schema"')
    journal, _ = await _ask(config, "@boss hello")

    [decision] = _decisions(journal, "boss")
    assert [u.requests for u in decision.usage] == [1, 1, 1]  # one try, two retries, no more
    [item] = _inbox(journal)
    assert item.text.startswith(
        f"[policy error] policy 'llm:local': tier 'local' (model 'smollm2' at {local_url}) "
        "answered HTTP 500 (after 3 attempts)"
    )


async def test_a_server_that_never_answers_is_cut_off_and_escalated(
    write_config: WriteConfig,
) -> None:
    with silent_server() as url:
        config = _config(write_config, url, timeout_s=1)
        journal, took = await _ask(config, "@boss hello")

    [decision] = _decisions(journal, "boss")
    assert took < 3 * 1 * 2 + 5  # three attempts of at most 1 s, output retries unused
    assert [(u.requests, u.tokens) for u in decision.usage] == [(1, 0)] * 3
    [item] = _inbox(journal)
    assert item.text == (
        f"[policy error] policy 'llm:local': tier 'local' (model 'smollm2' at {url}) did not "
        "answer within 1 s (after 3 attempts)"
    )


async def test_a_server_that_is_down_is_named_by_its_url(write_config: WriteConfig) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    config = _config(write_config, url)
    journal, _ = await _ask(config, "@boss hello")

    [item] = _inbox(journal)
    assert item.text.startswith(
        f"[policy error] policy 'llm:local': tier 'local' (model 'smollm2' at {url}) could not "
        "be reached: Connection error."
    )


def test_models_check_finds_the_named_tool_mode(write_config: WriteConfig, local_url: str) -> None:
    config = _config(write_config, local_url, max_tokens=128, timeout_s=120)
    begun = time.perf_counter()
    result = CliRunner().invoke(app, ["models", "check", "local", "-c", config.source, "-m",
                                      "tool", "-m", "json_schema"])  # fmt: skip
    took = time.perf_counter() - begun

    assert took < 2 * 120 + 5  # one call per mode, each within timeout_s
    output = " ".join(result.output.split())
    assert "answered HTTP 500" in output  # llama.cpp's server refuses json_schema
    # The named tool constrains the probe to its schema; a 135M model may still pick a
    # number out of range, which the table then shows as a failure.
    if result.exit_code == 0:
        assert 'Works: tool. Set structured = "tool" in [models.local].' in result.output
    else:
        assert "No mode gave valid output" in result.output
