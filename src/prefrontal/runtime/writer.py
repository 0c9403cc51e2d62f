"""The journal writer: group commit, then dispatch in sequence order.

Every write of the runtime goes through one writer task. Writes that become ready together
share one transaction (group commit); a caller is released only after its transaction
committed, and only then are the stored events dispatched, in sequence order, to whoever
acts on them. So nothing is acted on before it is durable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import anyio

from prefrontal.errors import JournalError, PrefrontalError
from prefrontal.journal.base import Journal, Stored
from prefrontal.seam.events import Event


class _Pending:
    __slots__ = ("done", "error", "events", "stored")

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = events
        self.done = anyio.Event()
        self.stored: list[Stored | None] = []
        self.error: PrefrontalError | None = None


class Writer:
    def __init__(self, journal: Journal, dispatch: Callable[[Stored], None]) -> None:
        self.journal = journal
        self.dispatch = dispatch
        self._queue: list[_Pending] = []
        self._wake = anyio.Event()
        self.transactions = 0

    async def commit(self, events: Sequence[Event]) -> list[Stored | None]:
        """Journal ``events`` atomically; ``None`` marks a keyed duplicate that was dropped."""
        pending = self.enqueue(events)
        await pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending.stored

    def enqueue(self, events: Sequence[Event]) -> _Pending:
        """Queue ``events`` for the next group commit without waiting for it."""
        pending = _Pending(events)
        self._queue.append(pending)
        self._wake.set()
        return pending

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            await anyio.lowlevel.checkpoint()  # let every ready task join this transaction
            self.flush()

    def flush(self) -> None:
        batch, self._queue = self._queue, []
        if not batch:
            return
        flat = [event for pending in batch for event in pending.events]
        try:
            stored = self.journal.append(flat)
        except PrefrontalError as error:
            for pending in batch:
                pending.error = error
                pending.done.set()
            if not isinstance(error, JournalError):
                raise
            return
        self.transactions += 1
        offset = 0
        for pending in batch:
            pending.stored = stored[offset : offset + len(pending.events)]
            offset += len(pending.events)
        for item in stored:
            if item is not None:
                self.dispatch(item)
        for pending in batch:
            pending.done.set()
