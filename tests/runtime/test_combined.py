"""The combined commit: an idle orchestrator decides an event inside the transaction that
journals it, so a request's routing, decision and commission share one commit, and so do
a report, the decision on it and the reply. Kills around it: ``test_crash.py``."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from prefrontal import Config, DecisionEvent, RulePolicy, open_system, replay
from prefrontal.policies.rule import CHEAP_STREAK
from prefrontal.testing import MemoryJournal

pytestmark = pytest.mark.anyio

CONFIG = """
[workers.noop]
kind = "tool"
function = "combined_mod:noop"
trusted = true

[domains.quick]
charter = "answers at once"
policy = "combined_mod:quick"
workers = ["noop"]
inline = true

[domains.slow]
charter = "thinks a while"
policy = "combined_mod:slow"
workers = ["noop"]
inline = true

[domains.plain]
charter = "answers at once, never inline"
policy = "combined_mod:quick"
workers = ["noop"]
"""

MODULE = """
import time
from prefrontal import *

async def noop(n: int) -> int:
    return n

def quick(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="noop", inputs={"n": len(event.text)}))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=f"done: {event.output}"))
    return Decision.of()

def slow(state, event):
    time.sleep(0.008)  # longer than a cheap call: it stays on a thread
    return quick(state, event)
"""

FIRST_COMMIT = ["request", "routed", "decision", "commission"]
SECOND_COMMIT = ["report", "decision", "inbox"]  # no "started": test_started.py
ONE_REQUEST = [*FIRST_COMMIT, *SECOND_COMMIT]


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(CONFIG, combined_mod=MODULE)


async def _one_at_a_time(config: Config, domain: str, count: int) -> tuple[MemoryJournal, int]:
    """Warm the rule up, then run ``count`` requests one at a time; the commits they took."""
    journal = MemoryJournal()
    async with open_system(config, journal=journal) as system:
        for n in range(CHEAP_STREAK):
            await system.submit("warm up", domain=domain, request_id=f"warm-{n}")
            await system.run_until_idle()
        before = system.writer.transactions
        for n in range(count):
            await system.submit("go", domain=domain, request_id=f"r-{n}")
            await system.run_until_idle()
        commits = system.writer.transactions - before
        policy = system.orchestrators[domain].policy
        assert isinstance(policy, RulePolicy)
        assert policy.inline == (domain == "quick")
    return journal, commits


async def test_a_cheap_rule_decides_in_its_cause_s_own_commit(config: Config) -> None:
    journal, commits = await _one_at_a_time(config, "quick", 5)
    assert commits == 2 * 5
    rows = journal.read(after=journal.last_seq() - 5 * len(ONE_REQUEST))
    assert [s.event.kind for s in rows] == ONE_REQUEST * 5
    # Each decision is the row right after its cause: journaled in the same transaction.
    for stored in rows:
        if isinstance(stored.event, DecisionEvent):
            assert stored.event.cause_seq == stored.seq - 1
    assert journal.verify() == []
    report = await replay(config, journal)
    assert report.ok, report
    assert report.domains["quick"].checked == 2 * (CHEAP_STREAK + 5)


async def test_a_rule_that_takes_its_time_stays_on_a_thread(config: Config) -> None:
    journal, commits = await _one_at_a_time(config, "slow", 3)
    assert commits >= 4 * 3  # request, decision, report, decision: each its own commit
    assert (await replay(config, journal)).ok


async def test_a_cheap_rule_of_a_domain_that_did_not_opt_in_stays_on_a_thread(
    config: Config,
) -> None:
    journal, commits = await _one_at_a_time(config, "plain", 3)
    assert commits >= 4 * 3  # no inline decision by default: the time-out binds on a thread
    assert (await replay(config, journal)).ok


async def test_a_busy_orchestrator_leaves_events_to_its_loop_in_order(config: Config) -> None:
    journal = MemoryJournal()
    async with open_system(config, journal=journal) as system:
        policy = system.orchestrators["quick"].policy
        assert isinstance(policy, RulePolicy)
        policy.may_inline, policy.cheap = True, CHEAP_STREAK  # cheap from the start

        async def ask(n: int) -> None:
            await system.submit("go", domain="quick", request_id=f"r-{n}")

        async with anyio.create_task_group() as tg:
            for n in range(40):
                tg.start_soon(ask, n)
        await system.run_until_idle()
    decisions = [s.of(DecisionEvent) for s in journal.read(kinds=["decision"])]
    assert len(decisions) == 80
    # Whether decided inline or by the loop, decisions follow their causes' journal order.
    causes = [s.event.cause_seq for s in decisions]
    assert causes == sorted(causes)
    assert journal.verify() == []
    assert (await replay(config, journal)).ok
