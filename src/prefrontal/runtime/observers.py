"""The stream of journaled events to observers, kept off the commit path.

The writer hands each committed event to ``Feeds.publish``, which never waits: every observer
(a function of the stored event, plain or async) has its own bounded buffer and its own task
that calls it. An observer that falls further
behind than its buffer neither stalls group commit nor loses events: its feed stops buffering,
and once the observer has worked through what it holds, the feed reads the events it skipped
back from the journal (they are durable before anyone is told of them). So each observer sees
each event once, in sequence order, and a slow observer costs the commit path one
append to a deque.

An event a feed reads back while catching up may be published again later (a request another
process journaled, picked up by the next poll): the feed remembers the seqs it read back and
skips those.
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import anyio.lowlevel
from anyio.abc import TaskGroup

from prefrontal.journal.base import Journal, Stored

Observer = Callable[[Stored], "Awaitable[None] | None"]
_RUN = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedStatistics:
    """One observer's feed: what waits in its buffer, what it was given, how it caught up."""

    observer: str
    buffered: int
    max_buffer: int
    delivered: int
    read_back: int
    behind: bool


class Feed:
    """One observer's bounded buffer and the task that calls it."""

    def __init__(self, observer: Observer, journal: Journal, *, max_buffer: int) -> None:
        self.observer = observer
        self.journal = journal
        self.max_buffer = max_buffer
        self._buffer: deque[Stored] = deque()
        self._wake = anyio.Event()
        self._sleeping = False
        self.behind = False
        self.last_seq = journal.last_seq()  # an observer sees what is journaled from now on
        self._read: set[int] = set()
        self.delivered = 0
        self.read_back = 0
        self._pending = 0
        self._idle = anyio.Event()
        self._idle.set()

    def publish(self, stored: Stored) -> None:
        if self.behind:
            return  # read back from the journal once the buffer is worked through
        if len(self._buffer) >= self.max_buffer:
            # The buffer is full, so the task is still owed its items and will catch up.
            self.behind = True
            return
        self._buffer.append(stored)
        if self._pending == 0:
            self._idle = anyio.Event()
        self._pending += 1
        if self._sleeping:
            self._sleeping = False
            self._wake.set()

    async def run(self) -> None:
        buffer = self._buffer
        while True:
            if not buffer:
                self._wake = anyio.Event()
                self._sleeping = True
                await self._wake.wait()
                continue
            # What is buffered is taken without a trip through the event loop per event,
            # up to ``_RUN`` events in a row; then the others get their turn.
            # The observer is called right here, not through a coroutine per event: a feed
            # takes every journaled event, so each frame less is one less per event.
            for _ in range(_RUN):
                if not buffer:
                    break
                stored = buffer.popleft()
                if stored.seq not in self._read:
                    result = self.observer(stored)
                    if result is not None and inspect.isawaitable(result):
                        await result
                    self.delivered += 1
                    if stored.seq > self.last_seq:
                        self.last_seq = stored.seq
                if self.behind and not buffer:
                    await self._catch_up()
                self._pending -= 1
                if self._pending == 0:
                    self._idle.set()
            if buffer:
                await anyio.lowlevel.checkpoint()

    async def _catch_up(self) -> None:
        # From clearing ``behind`` to the read, nothing awaits: what is committed meanwhile
        # is published into the buffer, and the read ends where those publishes begin.
        self.behind = False
        missed = self.journal.read(after=self.last_seq)
        self._read = {stored.seq for stored in missed}
        for stored in missed:
            self.read_back += 1
            await self._call(stored)

    async def _call(self, stored: Stored) -> None:
        result = self.observer(stored)
        if result is not None and inspect.isawaitable(result):
            await result
        self.delivered += 1
        self.last_seq = max(self.last_seq, stored.seq)

    async def wait_idle(self) -> None:
        while self._pending:
            await self._idle.wait()

    def statistics(self) -> FeedStatistics:
        return FeedStatistics(
            observer=getattr(self.observer, "__qualname__", type(self.observer).__name__),
            buffered=len(self._buffer),
            max_buffer=self.max_buffer,
            delivered=self.delivered,
            read_back=self.read_back,
            behind=self.behind,
        )


class Feeds:
    """Every observer's feed; started in the system's task group."""

    def __init__(self, journal: Journal, *, max_buffer: int = 1024) -> None:
        self.journal = journal
        self.max_buffer = max_buffer
        self.feeds: list[Feed] = []
        self._tg: TaskGroup | None = None

    def add(self, observer: Observer) -> Feed:
        feed = Feed(observer, self.journal, max_buffer=self.max_buffer)
        self.feeds.append(feed)
        if self._tg is not None:
            self._tg.start_soon(feed.run)
        return feed

    def start(self, tg: TaskGroup) -> None:
        self._tg = tg
        for feed in self.feeds:
            tg.start_soon(feed.run)

    def publish(self, stored: Stored) -> None:
        for feed in self.feeds:
            feed.publish(stored)

    async def wait_idle(self) -> None:
        for feed in self.feeds:
            await feed.wait_idle()

    def statistics(self) -> list[FeedStatistics]:
        return [feed.statistics() for feed in self.feeds]
