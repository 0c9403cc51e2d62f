"""Guards in code: each trip becomes an escalation with its evidence, never a silent stop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from prefrontal import (
    CommissionAction,
    Config,
    DecisionEvent,
    InboxItem,
    Report,
    RequestEvent,
    RoutedEvent,
    open_system,
)
from prefrontal.journal import Journal
from prefrontal.runtime.state import THREADS_KEPT, DomainState, inputs_key
from prefrontal.testing import MemoryJournal

pytestmark = pytest.mark.anyio

CONFIG = """
[guards]
max_commissions_per_event = 3
max_handoff_depth = 2
max_identical_commissions = 2
max_decisions_per_thread = 6
max_idle_decisions = 2

# Both echo what the orchestrator sent them: trusted, so the rules may read their output.
[workers.echo]
kind = "tool"
function = "guard_mod:echo"
trusted = true

[workers.paid]
kind = "tool"
function = "guard_mod:echo"
trusted = true
cost_usd = 0.40

[domains.alpha]
charter = "first"
policy = "guard_mod:alpha"
workers = ["echo", "paid"]
budget = { usd_per_day = 1.00 }

[domains.beta]
charter = "second"
policy = "guard_mod:beta"
workers = ["echo"]
"""

MODULE = """
from prefrontal import *

async def echo(text: str) -> str:
    return text

def alpha(state, event):
    if isinstance(event, RoutedEvent):
        words = event.text.split()
        verb = words[0]
        if verb == "many":
            return Decision(actions=tuple(
                CommissionAction(worker="echo", inputs={"text": str(i)}) for i in range(5)))
        if verb == "same":
            return Decision.of(CommissionAction(worker="echo", inputs={"text": "again"}))
        if verb == "stranger":
            return Decision.of(CommissionAction(worker="fft", inputs={}))
        if verb == "pay":
            return Decision(actions=tuple(
                CommissionAction(worker="paid", inputs={"text": str(i)})
                for i in range(int(words[1]))))
        if verb == "bounce":
            return Decision.of(HandOffAction(domain="beta", text="bounce"))
        if verb == "nowhere":
            return Decision.of(HandOffAction(domain="gamma", text="x"))
        if verb == "loop":
            return Decision.of(CommissionAction(worker="echo", inputs={"text": "loop 1"}))
        if verb == "idle":
            return Decision.of(ScheduleAction(name="tick", after_s=0))
    if isinstance(event, Report) and str(event.output).startswith("loop"):
        # distinct inputs every time, so only the per-thread limit can stop it
        n = int(event.output.split()[1]) + 1
        return Decision.of(CommissionAction(worker="echo", inputs={"text": f"loop {n}"}))
    if isinstance(event, Report) and event.worker == "echo" and event.output == "again":
        # re-commission the identical work: a ping-pong loop
        return Decision.of(CommissionAction(worker="echo", inputs={"text": "again"}))
    if isinstance(event, TimerEvent):
        # keeps re-arming itself without ever acting: no progress
        return Decision.of(ScheduleAction(name="tick", after_s=0))
    if isinstance(event, HandOffEvent):
        return Decision.of(HandOffAction(domain="beta", text="bounce"))
    return Decision.of()

def beta(state, event):
    if isinstance(event, HandOffEvent):
        return Decision.of(HandOffAction(domain="alpha", text="bounce"))
    return Decision.of()
"""


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(CONFIG, guard_mod=MODULE)


async def _run(config: Config, *requests: str) -> Journal:
    journal = MemoryJournal()
    async with open_system(config, journal=journal) as system:
        for text in requests:
            await system.submit(text)
        await system.run_until_idle()
    assert journal.verify() == []
    return journal


def _trips(journal: Journal) -> list[str]:
    return [
        trip.guard
        for s in journal.read(kinds=["decision"])
        if isinstance(s.event, DecisionEvent)
        for trip in s.event.trips
    ]


def _escalations(journal: Journal) -> list[InboxItem]:
    return [
        s.event
        for s in journal.read(kinds=["inbox"])
        if isinstance(s.event, InboxItem) and s.event.item == "escalation"
    ]


async def test_commissions_per_event(config: Config) -> None:
    journal = await _run(config, "@alpha many")
    assert len(journal.read(kinds=["commission"])) == 3
    assert _trips(journal).count("commissions per event") == 2
    assert "more than 3 commissions for one event" in _escalations(journal)[0].text


async def test_identical_repeated_commissions_trip_ping_pong(config: Config) -> None:
    journal = await _run(config, "@alpha same")
    assert len(journal.read(kinds=["commission"])) == 2
    assert "ping-pong" in _trips(journal)
    text = _escalations(journal)[0].text
    assert "'echo' was already commissioned 2 times" in text


async def test_undeclared_worker_is_refused_naming_the_declared_ones(config: Config) -> None:
    journal = await _run(config, "@alpha stranger")
    assert journal.read(kinds=["commission"]) == []
    assert _escalations(journal)[0].text == (
        "[undeclared worker] domain 'alpha' may not commission 'fft'; its workers: ['echo', 'paid']"
    )


async def test_hand_off_depth_stops_a_ping_pong_between_domains(config: Config) -> None:
    journal = await _run(config, "@alpha bounce")
    handoffs = journal.read(kinds=["handoff"])
    assert len(handoffs) == 2
    assert "hand-off depth" in _trips(journal)
    assert "would be depth 3 (limit 2)" in _escalations(journal)[0].text


async def test_hand_off_to_an_unknown_domain(config: Config) -> None:
    journal = await _run(config, "@alpha nowhere")
    assert "cannot hand off to 'gamma'; other domains: ['beta']" in _escalations(journal)[0].text


async def test_budget_is_enforced_before_dispatch(config: Config) -> None:
    journal = await _run(config, "@alpha pay 3")
    commissions = journal.read(kinds=["commission"])
    assert len(commissions) == 2  # 2 x 0.40 fits in 1.00; the third would not
    escalation = _escalations(journal)[0]
    assert escalation.text.startswith("[budget] commissioning 'paid' (up to $0.4000)")
    assert "$0.8000 spent or reserved of $1.00 today" in escalation.text
    assert len(escalation.proposed) == 1
    assert escalation.proposed[0].worker == "paid"


async def test_approving_a_budget_escalation_dispatches_it(config: Config) -> None:
    journal = MemoryJournal()
    async with open_system(config, journal=journal) as system:
        await system.submit("@alpha pay 3")
        await system.run_until_idle()
        item = _escalations(journal)[0]
        await system.answer(item.item_id, approved=True, note="worth it")
        await system.run_until_idle()
    reports = journal.read(kinds=["report"])
    assert len(reports) == 3
    decisions = [
        s.event for s in journal.read(kinds=["decision"]) if isinstance(s.event, DecisionEvent)
    ]
    assert decisions[-2].policy == "principal"


async def test_decisions_without_progress_stall(config: Config) -> None:
    journal = await _run(config, "@alpha idle")
    assert _trips(journal) == ["stall"]
    assert len(journal.read(kinds=["timer"])) == 2
    assert "made 3 decisions in a row without progress (limit 2)" in _escalations(journal)[0].text


async def test_a_runaway_thread_is_stopped(config: Config) -> None:
    journal = await _run(config, "@alpha loop 0")
    # six decisions commission the next step; the seventh trips the guard instead
    assert len(journal.read(kinds=["commission"])) == 6
    assert len(journal.read(kinds=["decision"])) == 7
    assert _trips(journal) == ["stall"]
    assert "reached 7 decisions today (limit 6)" in _escalations(journal)[0].text


def _fold_request(state: DomainState, seq: int, thread: str) -> None:
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    event = RoutedEvent(
        request=RequestEvent(request_id=thread, text="go", at=at),
        domain="alpha",
        method="address",
        reason="addressed",
        at=at,
    )
    action = CommissionAction(worker="echo", inputs={"text": thread})
    decision = DecisionEvent(
        domain="alpha",
        cause_seq=seq,
        policy="rule",
        actions=(action,),
        context_tokens=0,
        thread_id=thread,
        source="request",
        at=at,
    )
    state.apply(seq, event, decision)


def test_loop_guard_counters_keep_the_active_threads_and_no_more() -> None:
    state = DomainState(domain="alpha", ceiling=lambda _: Decimal(0))
    seq = 0
    for other in range(3 * THREADS_KEPT):
        seq += 2
        _fold_request(state, seq, f"t{other}")
        if other % 200 == 0:  # a runaway thread keeps deciding among thousands of others
            _fold_request(state, seq + 1, "runaway")
    assert len(state.thread_decisions) == len(state.idle_streak) == THREADS_KEPT
    assert len(state.issued) == THREADS_KEPT
    assert state.thread_decisions[("runaway", "2026-01-05")] == 16
    assert state.idle_streak["runaway"] == 0
    assert ("t0", "2026-01-05") not in state.thread_decisions  # the oldest quiet ones went


def test_open_work_per_thread_is_counted_as_it_opens_and_closes_and_after_a_restore() -> None:
    state = DomainState(domain="alpha", ceiling=lambda _: Decimal(0))
    for seq, thread in enumerate(["a", "b", "a", "a", "c"], start=1):
        _fold_request(state, seq * 2, thread)
    assert [state.open_in(t) for t in "abcd"] == [3, 1, 1, 0]
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    for seq, cid in ((20, "alpha-2-0"), (21, "alpha-6-0"), (22, "alpha-4-0")):
        thread = state.open[cid].thread_id
        report = Report(
            commission_id=cid, domain="alpha", worker="echo", status="ok", output="x",
            thread_id=thread, source="request", at=at,
        )  # fmt: skip
        decision = DecisionEvent(
            domain="alpha", cause_seq=seq, policy="rule", actions=(), context_tokens=0,
            thread_id=thread, source="request", at=at,
        )  # fmt: skip
        state.apply(seq, report, decision)
    assert [state.open_in(t) for t in "abcd"] == [1, 0, 1, 0]
    assert state.progresses("a", ())
    assert not state.progresses("b", ())
    again = DomainState(domain="alpha", ceiling=lambda _: Decimal(0))
    again.restore(state.dump())
    assert [again.open_in(t) for t in "abcd"] == [1, 0, 1, 0]
    assert again.dump() == state.dump()


def test_the_inputs_key_is_the_same_for_equal_work_and_kept_per_action() -> None:
    first = CommissionAction(worker="fetch", inputs={"b": 2, "a": [1, "x"]})
    again = CommissionAction(worker="fetch", inputs={"a": [1, "x"], "b": 2})
    other = CommissionAction(worker="fetch", inputs={"a": [1, "y"], "b": 2})
    assert inputs_key(first) == inputs_key(again) == '["fetch", {"a": [1, "x"], "b": 2}]'
    assert inputs_key(other) != inputs_key(first)
    assert inputs_key(first) is inputs_key(first)  # computed once, then kept
    for n in range(1000):  # many other actions later, each still gets its own key
        action = CommissionAction(worker="fetch", inputs={"n": n})
        assert inputs_key(action) == f'["fetch", {{"n": {n}}}]'
    assert inputs_key(first) == '["fetch", {"a": [1, "x"], "b": 2}]'
