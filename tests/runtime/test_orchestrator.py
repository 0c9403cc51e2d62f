"""The orchestrator loop: serial, journal first, context from its own domain only."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from prefrontal import Config, DecisionEvent, InboxItem, open_system
from prefrontal.testing import FakeClock, MemoryJournal, ScriptedModel

pytestmark = pytest.mark.anyio

TWO_DOMAINS = """
[models]
boss = "anthropic:claude-sonnet-4-5"

[workers.echo]
kind = "tool"
function = "orch_mod:echo"
trusted = true

[domains.home]
charter = "the house"
policy = "orch_mod:home"
workers = ["echo"]
recent_events = 2
memory_notes = 6

[domains.money]
charter = "the money"
policy = { kind = "llm", tier = "boss" }
workers = ["echo"]
budget = { context_tokens = 600 }
"""

MODULE = """
import anyio
from prefrontal import *

ACTIVE = []
PEAK = []

async def echo(text: str) -> str:
    return text

async def home(state, event):
    ACTIVE.append(1)
    PEAK.append(len(ACTIVE))
    await anyio.sleep(0.001)
    ACTIVE.pop()
    if isinstance(event, RoutedEvent):
        actions = [CommissionAction(worker="echo", inputs={"text": event.text})]
        if "secret" in event.text:
            actions.append(RememberAction(note="the home secret is 4711"))
        return Decision(actions=tuple(actions))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=f"echo: {event.output}", priority="low"))
    return Decision.of()
"""


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(TWO_DOMAINS, orch_mod=MODULE)


async def test_one_event_at_a_time_and_journal_before_dispatch(config: Config) -> None:
    journal = MemoryJournal()
    order: list[str] = []
    async with open_system(config, journal=journal, models={"boss": ScriptedModel([{}])}) as system:
        import orch_mod  # type: ignore[import-not-found]  # importable once the config loaded it

        system.observe(lambda s: order.append(s.event.kind))
        for n in range(20):
            await system.submit(f"@home job {n}")
        await system.run_until_idle()
    assert max(orch_mod.PEAK) == 1, "the policy ran concurrently with itself"
    decisions = [s.event for s in journal.read(kinds=["decision"])]
    assert len(decisions) == 40  # 20 requests + 20 reports
    # every commission is journaled right after the decision that issued it, before its report
    for index, kind in enumerate(order):
        if kind == "commission":
            assert order[index - 1] == "decision"
    assert order.index("commission") < order.index("report")
    assert journal.verify() == []


async def test_context_is_built_from_its_own_domain_only(config: Config) -> None:
    journal = MemoryJournal()
    boss = ScriptedModel([{"actions": [{"kind": "wait"}]}])
    async with open_system(config, journal=journal, models={"boss": boss}) as system:
        await system.submit("@home the secret code")
        await system.run_until_idle()
        await system.submit("@money what is the home secret?")
        await system.run_until_idle()
    prompts = " ".join(str(m) for messages in boss.prompts for m in messages)
    assert "what is the home secret?" in prompts
    assert "4711" not in prompts
    assert "the house" not in prompts
    assert "the money" in prompts
    home_state = [s.event for s in journal.read(kinds=["decision"], domain="home")]
    assert home_state, "home decided nothing"


async def test_context_size_is_recorded_and_bounded(config: Config) -> None:
    journal = MemoryJournal()
    boss = ScriptedModel([{"actions": [{"kind": "wait"}]}])
    async with open_system(config, journal=journal, models={"boss": boss}) as system:
        for n in range(40):
            await system.submit(f"@money note number {n} " + "with some padding words " * 3)
        await system.run_until_idle()
    sizes = [
        s.event.context_tokens
        for s in journal.read(kinds=["decision"], domain="money")
        if isinstance(s.event, DecisionEvent)
    ]
    assert len(sizes) == 40
    assert all(0 < size <= 600 for size in sizes), sizes
    assert sizes[-1] > sizes[0], "history should show up in the context"


async def test_old_events_compact_into_notes_and_remembered_notes_survive(config: Config) -> None:
    journal = MemoryJournal()
    async with open_system(config, journal=journal, models={"boss": ScriptedModel([{}])}) as system:
        await system.submit("@home keep this secret")
        for n in range(12):
            await system.submit(f"@home chore {n}")
        await system.run_until_idle()
        state = system.orchestrators["home"].state
        assert "the home secret is 4711" in state.memory
        assert state.compacted, "old events were not compacted"
        assert state.compacted[0].startswith("events #")
        assert len(state.recent) <= 2 * 2
        assert len(state.memory) + len(state.compacted) <= 6
    # the journal itself is never rewritten: every request is still there
    assert len(journal.read(kinds=["request"])) == 13


async def test_state_is_a_fold_over_the_journal(config: Config) -> None:
    journal = MemoryJournal()
    models = {"boss": ScriptedModel([{}])}
    async with open_system(config, journal=journal, models=models) as system:
        await system.submit("@home keep the secret")
        for n in range(5):
            await system.submit(f"@home chore {n}")
        await system.run_until_idle()
        live = system.orchestrators["home"].state
        live_view = (list(live.memory), list(live.compacted), list(live.recent), live.decisions)
    async with open_system(config, journal=journal, models=models) as system:
        again = system.orchestrators["home"].state
        assert (
            list(again.memory),
            list(again.compacted),
            list(again.recent),
            again.decisions,
        ) == live_view


async def test_replies_reach_the_inbox(config: Config) -> None:
    journal = MemoryJournal()
    clock = FakeClock()
    async with open_system(
        config, journal=journal, clock=clock, models={"boss": ScriptedModel([{}])}
    ) as system:
        await system.submit("@home ping")
        await system.run_until_idle()
    items = [s.event for s in journal.read(kinds=["inbox"])]
    assert len(items) == 1
    assert isinstance(items[0], InboxItem)
    assert items[0].text == "echo: ping"
    assert items[0].at == clock.now()


async def test_a_commission_carries_its_worker_s_limits_from_the_roster(
    write_config: Callable[..., Config],
) -> None:
    config = write_config(
        """
        [workers.echo]
        kind = "tool"
        function = "limits_mod:echo"
        timeout_s = 7.5
        retries = 4
        cost_usd = 0.25

        [domains.home]
        charter = "the house"
        policy = "limits_mod:home"
        workers = ["echo"]
        """,
        limits_mod="""
from prefrontal import *

async def echo(text: str) -> str:
    return text

def home(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(
            CommissionAction(worker="echo", inputs={"text": "a"}),
            CommissionAction(worker="echo", inputs={"text": "b"}, limits=LimitOverrides(retries=1)),
        )
    return Decision.of()
""",
    )
    journal = MemoryJournal()
    async with open_system(config, journal=journal) as system:
        [spec] = system.orchestrators["home"].roster
        assert (spec.limits.timeout_s, spec.limits.retries, spec.limits.max_cost_usd) == (
            7.5,
            4,
            0.25,
        )
        await system.submit("@home go")
        await system.run_until_idle()
    limits = [s.event.limits for s in journal.read(kinds=["commission"])]  # type: ignore[union-attr]
    assert [(lim.timeout_s, lim.retries, lim.max_cost_usd) for lim in limits] == [
        (7.5, 4, 0.25),
        (7.5, 1, 0.25),  # the policy's override applies on top of the worker's defaults
    ]
