"""Faults under load: nothing hangs, one stuck part never stalls the others.

One test per fault: a routing pattern that backtracks catastrophically, a policy that never
decides (sync and async), a sync tool worker that overruns its time limit (thread and
process), a stuck worker beside a healthy domain, a sense that blocks its loop.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

from prefrontal import (
    Commission,
    Config,
    DecisionEvent,
    InboxItem,
    ToolWorker,
    open_system,
)
from prefrontal.runtime.executor import Executor
from prefrontal.seam import WorkerLimits
from prefrontal.testing import FakeClock, MemoryJournal

pytestmark = pytest.mark.anyio

AT = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


RULES = """
import time

import anyio

from prefrontal import CommissionAction, Decision, ReplyAction, Report, RoutedEvent


def reply(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(ReplyAction(text="on it"))
    return Decision.of()


def sleepy(state, event):
    time.sleep(3)  # blocks whatever runs it
    return Decision.of(ReplyAction(text="late"))


async def never(state, event):
    await anyio.sleep_forever()
"""


def _events(journal: MemoryJournal, kind: str) -> list[Any]:
    return [s.event for s in journal.read(kinds=[kind])]


# -- 1. routing cannot backtrack catastrophically ----------------------------------------------


async def test_a_backtracking_pattern_routes_in_linear_time(
    write_config: Callable[..., Config],
) -> None:
    config = write_config(
        """
        [domains.home]
        charter = "the house"
        policy = "faults_rules1:reply"
        patterns = ["^(a+)+$"]

        [domains.money]
        charter = "the money"
        policy = "faults_rules1:reply"
        keywords = ["bill"]
        """,
        faults_rules1=RULES,
    )
    journal = MemoryJournal()
    begun = time.perf_counter()
    with anyio.fail_after(5):
        async with open_system(config, journal=journal) as system:
            await system.submit("a" * 32 + "!")  # 2**32 paths for Python's re
            await system.submit("a" * 8000)
            await system.run_until_idle()
    assert time.perf_counter() - begun < 5
    questions = [e for e in _events(journal, "inbox") if e.item == "question"]
    routed = _events(journal, "routed")
    assert len(questions) == 1  # the first matches no rule: the router asks
    assert [r.domain for r in routed] == ["home"]


async def test_a_router_that_cannot_route_in_time_asks_instead(
    write_config: Callable[..., Config],
) -> None:
    config = write_config(
        """
        [models]
        cheap = "anthropic:claude-haiku-4-5"

        [router]
        classifier = "cheap"
        timeout_s = 0.3

        [domains.home]
        charter = "the house"
        policy = "faults_rules2:reply"

        [domains.money]
        charter = "the money"
        policy = "faults_rules2:reply"
        """,
        faults_rules2=RULES,
    )
    from pydantic_ai.models.function import FunctionModel

    hung = FunctionModel(_async_hang)  # a server that accepts and never answers
    journal = MemoryJournal()
    with anyio.fail_after(5):
        async with open_system(config, journal=journal, models={"cheap": hung}) as system:
            await system.submit("something vague")
            await system.run_until_idle()
    (question,) = [e for e in _events(journal, "inbox") if isinstance(e, InboxItem)]
    assert question.item == "question"
    assert "routing took longer than 0.3 s" in question.text


async def _async_hang(messages: Any, info: Any) -> Any:
    await anyio.sleep_forever()


# -- 2. decisions have a time limit ------------------------------------------------------------


@pytest.mark.parametrize("rule", ["sleepy", "never"])
async def test_a_policy_that_does_not_decide_in_time_escalates(
    write_config: Callable[..., Config], rule: str
) -> None:
    config = write_config(
        f"""
        [domains.slow]
        charter = "the slow one"
        policy = "faults_rules3_{rule}:{rule}"
        keywords = ["slow"]
        decision_timeout_s = 0.5

        [domains.home]
        charter = "the house"
        policy = "faults_rules3_{rule}:reply"
        keywords = ["home"]
        """,
        **{f"faults_rules3_{rule}": RULES},
    )
    journal = MemoryJournal()
    replied: dict[str, float] = {}
    begun = time.perf_counter()

    def watch(stored: Any) -> None:
        event = stored.event
        if isinstance(event, InboxItem) and event.domain:
            replied.setdefault(event.domain, time.perf_counter() - begun)

    with anyio.fail_after(10):
        async with open_system(config, journal=journal) as system:
            system.observe(watch)
            await system.submit("slow thing")
            await system.submit("home thing")
            await system.run_until_idle()
    (slow,) = [d for d in _events(journal, "decision") if d.domain == "slow"]
    assert isinstance(slow, DecisionEvent)
    assert [t.guard for t in slow.trips] == ["decision timeout"]
    assert f"faults_rules3_{rule}:{rule}" in slow.trips[0].detail
    assert "within 0.5 s" in slow.trips[0].detail
    assert [a.kind for a in slow.actions] == ["escalate"]
    # The other domain was not held up by the stuck policy (a sync rule runs off the loop).
    assert replied["home"] < 0.4
    assert 0.4 < replied["slow"] < 3


# -- 3. sync tool workers keep their time limit --------------------------------------------------


def _commission(worker: str, index: int = 0, *, timeout_s: float = 5.0) -> Commission:
    return Commission(
        commission_id=f"home-{index}-0",
        domain="home",
        worker=worker,
        inputs={"seconds": 3.0},
        limits=WorkerLimits(timeout_s=timeout_s, retries=0),
        cause_seq=1,
        thread_id="r1",
        source="request",
        at=AT,
    )


@pytest.mark.parametrize("run_in", ["thread", "process"])
async def test_a_sync_tool_past_its_limit_reports_worker_timeout_on_time(run_in: str) -> None:
    from support.faults_tools import spin

    worker = ToolWorker("spin", spin, run_in=run_in)  # type: ignore[arg-type]
    executor = Executor({"spin": worker}, clock=FakeClock(AT))
    if run_in == "process":  # start the pool first: its start-up is not the worker's time
        warm = await executor.execute(
            _commission("spin", 9).model_copy(update={"inputs": {"seconds": 0.0}}),
            started=lambda _: None,
        )
        assert warm.status == "ok"
    begun = time.perf_counter()
    report = await executor.execute(_commission("spin", timeout_s=0.5), started=lambda _: None)
    took = time.perf_counter() - begun
    assert report.status == "failed"
    assert report.error is not None
    assert report.error.code == "worker_timeout"
    assert took < 1.5


# -- 4. a stuck worker does not starve another domain ------------------------------------------


async def test_a_stuck_worker_does_not_delay_a_healthy_domain() -> None:
    release = anyio.Event()

    async def stuck(seconds: float) -> float:
        await release.wait()
        return seconds

    async def quick(seconds: float) -> float:
        return seconds

    workers = {"stuck": ToolWorker("stuck", stuck), "quick": ToolWorker("quick", quick)}
    executor = Executor(
        workers, clock=FakeClock(AT), concurrency=4, per_worker={"stuck": 2, "quick": 2}
    )
    latencies: list[float] = []

    async def healthy(index: int) -> None:
        begun = time.perf_counter()
        report = await executor.execute(
            _commission("quick", 1000 + index).model_copy(update={"domain": "money"}),
            started=lambda _: None,
        )
        latencies.append(time.perf_counter() - begun)
        assert report.status == "ok"

    async with anyio.create_task_group() as tg:
        for index in range(200):  # a backlog queued on the hung worker
            tg.start_soon(_run, executor, _commission("stuck", index, timeout_s=60))
        await anyio.sleep(0.05)
        try:
            with anyio.fail_after(5):  # the global slots held by stuck work: never done
                for index in range(20):
                    await healthy(index)
        finally:
            release.set()
    assert statistics.median(latencies) < 0.005
    assert max(latencies) < 0.05


async def _run(executor: Executor, commission: Commission) -> None:
    await executor.execute(commission, started=lambda _: None)


# -- 5. a sense that blocks stalls only itself -------------------------------------------------


class BlockingSense:
    """A sense whose loop calls ``time.sleep``: it blocks whatever event loop runs it."""

    name = "blocky"
    version = "blocky-1"

    async def run(self, emit: Any) -> None:
        from prefrontal.senses.base import Observation

        await emit(Observation(name="tick", rendering="tick", confidence=1.0, span=(0, 1)))
        time.sleep(2.0)

    def resume(self, position_s: float) -> None:
        pass

    def attend(self, settings: Any) -> list[str]:
        return []


async def test_a_blocking_sense_stalls_no_orchestrator_and_is_reported_stalled(
    write_config: Callable[..., Config],
) -> None:
    config = write_config(
        """
        [senses.blocky]
        kind = "telemetry"
        source = "unused.csv"
        stall_s = 0.5

        [domains.home]
        charter = "the house"
        policy = "faults_rules5:reply"
        keywords = ["home"]
        senses = ["blocky"]
        """,
        faults_rules5=RULES,
    )
    journal = MemoryJournal()
    latencies: list[float] = []
    with anyio.fail_after(10):
        async with open_system(
            config, journal=journal, senses={"blocky": BlockingSense()}
        ) as system:
            await anyio.sleep(0.1)  # the sense is asleep in its loop now
            for index in range(5):
                begun = time.perf_counter()
                await system.submit(f"home thing {index}")
                while len([i for i in _events(journal, "inbox") if i.item == "reply"]) <= index:
                    await anyio.sleep(0.005)
                latencies.append(time.perf_counter() - begun)
            await system.run_until_idle()
    names = [p.name for p in _events(journal, "percept")]
    assert "tick" in names
    assert names.count("sense.stalled") == 1
    assert max(latencies) < 0.5  # the sense sleeps 2 s in its loop meanwhile
