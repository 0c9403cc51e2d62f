"""Observers of the journaled events: each sees every event once, in order, off the commit path."""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
import pytest

from prefrontal import Config, open_system
from prefrontal.journal.base import Stored
from prefrontal.runtime.observers import Feeds
from prefrontal.testing import MemoryJournal

pytestmark = pytest.mark.anyio

ONE_DOMAIN = """
[workers.echo]
kind = "tool"
function = "prefrontal.testing:echo"

[domains.home]
charter = "the house"
policy = "obs_mod:home"
workers = ["echo"]
"""

MODULE = """
from prefrontal import *

def home(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="echo", inputs={"text": event.text}))
    return Decision.of(ReplyAction(text="done"))
"""


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(ONE_DOMAIN, obs_mod=MODULE)


async def test_a_slow_observer_does_not_hold_up_the_journal(config: Config) -> None:
    journal = MemoryJournal()
    fast: list[tuple[int, float]] = []
    slow: list[int] = []

    async def sluggish(stored: Stored) -> None:
        await anyio.sleep(0.02)
        slow.append(stored.seq)

    async with open_system(config, journal=journal) as system:
        system.feeds.max_buffer = 4
        system.observe(sluggish)
        system.observe(lambda s: fast.append((s.seq, time.perf_counter())))
        begun = time.perf_counter()
        for n in range(20):
            await system.submit(f"job {n}")
        await system.run_until_idle()
        ended = time.perf_counter()
        (lagging, quick) = system.feeds.statistics()

    seqs = [s.seq for s in journal.read()]
    assert [seq for seq, _ in fast] == seqs
    assert slow == seqs, "the slow observer saw every event once, in order"
    # The journal went on at its own pace: the last event was journaled well before the slow
    # observer (0.02 s an event) could have seen it had it been called inside the commit.
    assert fast[-1][1] - begun < 0.02 * len(seqs) / 2
    assert ended - begun >= 0.02 * len(seqs)  # run_until_idle waited for every observer
    assert lagging.read_back > 0, "its buffer of 4 overflowed and it read the rest back"
    assert lagging.delivered == quick.delivered == len(seqs)
    assert quick.read_back == 0
    assert not lagging.behind
    assert lagging.buffered == 0


async def test_an_event_read_back_is_not_delivered_twice() -> None:
    from support.records import request

    journal = MemoryJournal()
    seen: list[int] = []
    feeds = Feeds(journal, max_buffer=1)
    async with anyio.create_task_group() as tg:
        feeds.start(tg)
        feeds.add(lambda s: seen.append(s.seq))
        stored = [s for s in journal.append([request(f"r{n}") for n in range(5)]) if s]
        for item in stored:
            feeds.publish(item)  # the first fills the buffer; the rest are read back
        await feeds.wait_idle()
        feeds.publish(stored[-1])  # a late publish of an event already read back
        await feeds.wait_idle()
        (lag,) = feeds.statistics()
        tg.cancel_scope.cancel()
    assert seen == [s.seq for s in stored]
    assert lag.read_back == 4
