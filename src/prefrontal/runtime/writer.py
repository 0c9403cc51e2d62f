"""The journal writer: group commit, then dispatch in sequence order.

Every write of the runtime goes through one writer task. Writes that become ready together
share one transaction (group commit). Only after a transaction committed are its events
dispatched, in sequence order, to whoever acts on them, and only then are its waiters
released and its ``after`` callbacks run. So nothing is acted on before it is durable, and a
caller may queue a write and go on (``enqueue``) without ever acting ahead of the journal.

``follow`` (``Journal.append``'s) lets what a row causes be journaled in that row's own
transaction: the driver decides there, once the row has its seq, the events an idle
orchestrator can decide at once (``Orchestrator.decide_now``). Those follow-on rows are
dispatched with the rest, in sequence order.

A full disk is not fatal: the writer keeps the batch, says so once (a warning on the
``prefrontal`` logger), frees what SQLite can (a WAL checkpoint), and retries with a growing
pause until the write goes through; waiters simply wait, and nothing is lost or reordered.
Any other journal failure is fatal: waiters receive the error, and the writer task raises
it, which stops the system; a restart folds the state from what was committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import anyio

from prefrontal.errors import JournalFullError, PrefrontalError
from prefrontal.journal.base import Follow, Journal, Stored
from prefrontal.seam.events import Event

After = Callable[[list["Stored | None"]], None]
log = logging.getLogger("prefrontal")
FULL_RETRY_S = (0.25, 5.0)
"""The first and the longest pause between tries while the disk is full."""
_GATHER_YIELDS = 8


class Pending:
    """A queued write: its events, and once committed, what was stored (``None``: duplicate)."""

    __slots__ = ("_done", "after", "error", "events", "finished", "stored")

    def __init__(self, events: Sequence[Event], after: After | None) -> None:
        self.events = events
        self.after = after
        self.finished = False
        self._done: anyio.Event | None = None
        self.stored: list[Stored | None] = []
        self.error: PrefrontalError | None = None

    async def wait(self) -> None:
        """Until the write is committed (or failed). Most writes are queued and never
        waited on (``enqueue``), so the event is made only for a waiter."""
        if not self.finished:
            if self._done is None:
                self._done = anyio.Event()
            await self._done.wait()

    def finish(self) -> None:
        self.finished = True
        if self._done is not None:
            self._done.set()


class Writer:
    def __init__(
        self,
        journal: Journal,
        dispatch: Callable[[Stored], None],
        *,
        committed: Callable[[int], None] | None = None,
        follow: Follow | None = None,
    ) -> None:
        self.journal = journal
        self.dispatch = dispatch
        self.committed = committed
        self.follow = follow
        self._queue: list[Pending] = []
        self._wake = anyio.Event()
        self.transactions = 0
        self.paused = False
        """True while the disk is full and the writer waits to retry."""
        self.patient = True
        """Say once that it paused, and wait for space (a driver). A command a person waits
        on clears it: it gives up instead and says so itself (``runtime.failures``)."""

    @property
    def backlog(self) -> int:
        return len(self._queue)

    async def commit(self, events: Sequence[Event]) -> list[Stored | None]:
        """Journal ``events`` atomically; ``None`` marks a keyed duplicate that was dropped."""
        pending = self.enqueue(events)
        await pending.wait()
        if pending.error is not None:
            raise pending.error
        return pending.stored

    def enqueue(self, events: Sequence[Event], *, after: After | None = None) -> Pending:
        """Queue ``events`` for the next group commit; ``after`` runs once they are stored."""
        pending = Pending(events, after)
        self._queue.append(pending)
        self._wake.set()
        return pending

    def withdraw(self, pending: Pending) -> bool:
        """Take back a queued write that nobody waits on, if it is not committed yet
        (``True``); one already committed stays (``False``)."""
        if pending.finished:
            return False
        pending.events = ()
        return True

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            await self._gather()
            await self._flush_until_stored()

    async def _gather(self) -> None:
        """Let every ready task join this transaction: yield while the queue still grows.

        Each yield lets the tasks that are ready run to their next write; a commit costs
        more than the yields, so under load fewer, larger transactions carry the same work.
        """
        for _ in range(_GATHER_YIELDS):
            queued = len(self._queue)
            await anyio.lowlevel.checkpoint()
            if len(self._queue) == queued:
                return

    async def _flush_until_stored(self) -> None:
        pause, longest = FULL_RETRY_S
        while True:
            try:
                self.flush()
            except JournalFullError as error:
                if not self.paused:
                    self.paused = True
                    if self.patient:
                        log.warning("%s Paused; retrying every %g s at most.", error, longest)
                self.journal.checkpoint()
                await anyio.sleep(pause)
                pause = min(pause * 2, longest)
                continue
            if self.paused:
                self.paused = False
                log.warning("the journal's disk has space again; the writer resumed")
            return

    def flush(self) -> None:
        batch, self._queue = self._queue, []
        if not batch:
            return
        flat = [event for pending in batch for event in pending.events]
        try:
            stored = self.journal.append(flat, follow=self.follow)
        except JournalFullError:
            self._queue = batch + self._queue  # rolled back: the same batch goes first again
            raise
        except PrefrontalError as error:
            for pending in batch:
                pending.error = error
                pending.finish()
            raise
        self.transactions += 1
        offset = 0
        for pending in batch:
            pending.stored = stored[offset : offset + len(pending.events)]
            offset += len(pending.events)
        last = 0
        for item in stored:
            if item is not None:
                self.dispatch(item)
                last = item.seq
        if last and self.committed is not None:
            # Everything folded so far is durable now, and nothing folded is not: the one
            # moment a snapshot of the folded state matches the journal up to ``last``.
            self.committed(last)
        for pending in batch:
            pending.finish()
            if pending.after is not None:
                pending.after(pending.stored)
