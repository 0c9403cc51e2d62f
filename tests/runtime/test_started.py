"""A commission's ``started`` record is journaled only if a commit sees the work in flight.

The record rides along with the next group commit. When the report is queued before that
commit, the report alone says what the record would have said (its ``attempts`` and
``duration_s``), so the record is taken back: fewer rows per commission on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from prefrontal import Config, Report, open_system, replay
from prefrontal.seam import CommissionStarted
from prefrontal.testing import MemoryJournal

pytestmark = pytest.mark.anyio

CONFIG = """
[workers.quick]
kind = "tool"
function = "started_mod:quick"
trusted = true

[workers.held]
kind = "tool"
function = "started_mod:held"
trusted = true

[workers.flaky]
kind = "tool"
function = "started_mod:flaky"
trusted = true

[domains.home]
charter = "the house"
policy = "started_mod:home"
workers = ["quick", "held", "flaky"]
"""

MODULE = """
import anyio
from prefrontal import *
from prefrontal.errors import WorkerError

GATE = anyio.Event()
TRIES = []

async def quick(n: int) -> int:
    return n

async def held(n: int) -> int:
    await GATE.wait()
    return n

async def flaky(n: int) -> int:
    TRIES.append(n)
    if len(TRIES) == 1:
        raise WorkerError("busy, try again", retryable=True)
    return n

def home(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker=event.text, inputs={"n": 1}))
    return Decision.of()
"""


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(CONFIG, started_mod=MODULE)


def _kinds(journal: MemoryJournal) -> list[str]:
    return [s.event.kind for s in journal.read() if s.event.kind in ("started", "report")]


async def test_work_done_before_the_next_commit_leaves_only_its_report(config: Config) -> None:
    journal = MemoryJournal()
    async with open_system(config, journal=journal) as system:
        await system.submit("@home quick")
        await system.run_until_idle()
    assert _kinds(journal) == ["report"]
    (report,) = [s.event for s in journal.read(kinds=["report"])]
    assert isinstance(report, Report)
    assert report.ok
    assert report.attempts == 1
    assert (await replay(config, journal)).ok


async def test_work_in_flight_at_a_commit_is_journaled_as_started(config: Config) -> None:
    journal = MemoryJournal()
    async with open_system(config, journal=journal) as system:
        import started_mod  # type: ignore[import-not-found]  # loaded with the config

        await system.submit("@home held")
        with anyio.fail_after(5):
            while not journal.read(kinds=["started"]):
                await anyio.sleep(0.01)
        assert not journal.read(kinds=["report"]), "the worker is still held"
        started_mod.GATE.set()
        await system.run_until_idle()
    assert _kinds(journal) == ["started", "report"]
    (started,) = [s.event for s in journal.read(kinds=["started"])]
    assert isinstance(started, CommissionStarted)
    assert started.attempt == 1


async def test_a_retry_keeps_the_start_of_the_attempt_that_failed(config: Config) -> None:
    journal = MemoryJournal()
    async with open_system(config, journal=journal) as system:
        await system.submit("@home flaky")
        await system.run_until_idle()
    # The first attempt's start was committed while the executor backed off; the second
    # attempt finished before the next commit, so its report says it all.
    assert _kinds(journal) == ["started", "report"]
    started = [s.event for s in journal.read(kinds=["started"])]
    assert [s.attempt for s in started if isinstance(s, CommissionStarted)] == [1]
    (report,) = [s.event for s in journal.read(kinds=["report"])]
    assert isinstance(report, Report)
    assert report.ok
    assert report.attempts == 2
