"""The journal protocol and the keys that make appends idempotent."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol

from typing_extensions import TypeVar

from prefrontal.errors import RecordError
from prefrontal.seam.events import (
    ApprovalEvent,
    AttentionEvent,
    Commission,
    CommissionStarted,
    DecisionEvent,
    Event,
    HandOffEvent,
    InboundEvent,
    InboxItem,
    Report,
    RequestEvent,
    RoutedEvent,
    TimerCancelled,
    TimerEvent,
    TimerSet,
    is_inbound,
)
from prefrontal.seam.percept import Percept

E = TypeVar("E", bound=Event, default=Event, covariant=True)
K = TypeVar("K", bound=Event)


@dataclass(frozen=True, slots=True)
class Stored(Generic[E]):
    """An event as the journal holds it: its sequence number and the record.

    ``Stored`` alone holds any event; ``Stored[Report]`` one known to be a report (see
    ``of`` and ``inbound``), so readers narrow once instead of casting at every use.
    """

    seq: int
    event: E

    def of(self, kind: type[K]) -> Stored[K]:
        """This stored event as a ``kind``; ``RecordError`` when it is another kind."""
        if not isinstance(self.event, kind):
            raise RecordError(
                f"journal row #{self.seq} is a {self.event.kind!r} event where a "
                f"{kind.__name__} was expected; run 'prefrontal replay' to check the journal."
            )
        return Stored(self.seq, self.event)

    def inbound(self) -> Stored[InboundEvent]:
        """This stored event as one an orchestrator decides on; ``RecordError`` otherwise."""
        if not is_inbound(self.event):
            raise RecordError(
                f"journal row #{self.seq} is a {self.event.kind!r} event where an inbound "
                "event (routed, report, percept, timer, handoff, approval) was expected."
            )
        return Stored(self.seq, self.event)


def causes_of(
    journal: JournalReads, decisions: Sequence[Stored[DecisionEvent]]
) -> dict[int, InboundEvent]:
    """The inbound event each of ``decisions`` decided on, by its seq."""
    found = journal.at(d.event.cause_seq for d in decisions)
    return {seq: Stored(seq, event).inbound().event for seq, event in found.items()}


Follow = Callable[[Stored], Sequence[Event]]
"""What to store after a row, in the same transaction: called with each row as it is stored
(``Journal.append``); an empty sequence when nothing follows it."""


class JournalReads(Protocol):
    """The reading half of the journal: what a command that only reads is given."""

    def consistent(self) -> AbstractContextManager[None]:
        """Reads inside it all see one snapshot of the journal (the first one's)."""
        ...

    def read(
        self,
        *,
        after: int = 0,
        kinds: Iterable[str] | None = None,
        domain: str | None = None,
        limit: int | None = None,
        upto: int | None = None,
    ) -> list[Stored]:
        """Events with ``after < seq <= upto`` (of ``kinds``, of ``domain``), in order."""
        ...

    def last(
        self, count: int, *, kinds: Iterable[str] | None = None, domain: str | None = None
    ) -> list[Stored]:
        """The last ``count`` events (of ``kinds``, of ``domain``), oldest first."""
        ...

    def at(self, seqs: Iterable[int]) -> dict[int, Event]:
        """The events stored as rows ``seqs``, by seq."""
        ...

    # The open-work queries look at rows after ``after`` and at the ``carried`` ones (those
    # a snapshot found open), never before: with a snapshot they read only the tail.

    def pending(
        self, domain: str, *, after: int = 0, carried: Iterable[int] = (), upto: int | None = None
    ) -> list[Stored]:
        """Inbound events of ``domain`` that no decision has answered yet, in order."""
        ...

    def open_commissions(
        self, *, after: int = 0, carried: Iterable[int] = (), upto: int | None = None
    ) -> list[Stored]:
        """Issued commissions without a report, in order."""
        ...

    def unrouted(
        self, *, after: int = 0, carried: Iterable[int] = (), upto: int | None = None
    ) -> list[Stored]:
        """Requests with neither a routing decision nor a question to the principal."""
        ...

    def open_timers(
        self, *, after: int = 0, carried: Iterable[int] = (), upto: int | None = None
    ) -> list[Stored]:
        """Timers set and not yet fired, in order."""
        ...

    def open_items(
        self, *, after: int = 0, carried: Iterable[int] = (), upto: int | None = None
    ) -> list[Stored]:
        """Inbox items with no answer (replies among them: they never get one), in order."""
        ...

    def due_timers(self, now: datetime) -> list[Stored]: ...

    def next_timer(self) -> datetime | None: ...

    def find(self, ref: str, kind: str) -> Stored | None: ...

    def last_seq(self) -> int: ...

    def data_version(self) -> int | None:
        """A number that changes whenever a commit lands in the database, read without
        touching a table (SQLite's ``PRAGMA data_version``); ``None`` where the database
        has no such number (PostgreSQL)."""
        ...

    def snapshot(self, *, upto: int | None = None) -> tuple[int, str] | None:
        """The newest snapshot in today's format (at or before ``upto``): (seq, body)."""
        ...

    def snapshot_seqs(self) -> list[int]:
        """The seqs of the stored snapshots in today's format, oldest first."""
        ...

    def unreadable(self) -> list[str]:
        """Every row that cannot be decoded, as ``#seq (kind): why``; empty when all can."""
        ...

    def close(self) -> None: ...


class Journal(JournalReads, Protocol):
    """Append-only event log. Appends are atomic per call; keyed duplicates are dropped."""

    def append(
        self, batch: Sequence[Event], *, follow: Follow | None = None
    ) -> list[Stored | None]:
        """Store ``batch`` in one transaction. A keyed event already present gives ``None``.

        With ``follow``, once the whole batch is stored, each row stored is handed to it in
        order, and what it returns is stored in the same transaction after the batch (and
        handed to it in turn, chunk by chunk). The result lists the batch's rows in order,
        then the followers' in order, which is also sequence order. If ``follow`` raises,
        nothing of the call is stored.
        """
        ...

    def checkpoint(self) -> None:
        """Give back disk space the database holds for itself (SQLite's WAL); best effort."""
        ...

    def save_snapshot(self, seq: int, body: str, *, at: datetime) -> None:
        """Store a snapshot of the state folded up to ``seq``; older ones are pruned."""
        ...


def event_ref(event: Event) -> str | None:
    """The id that ties an event to its siblings (a commission and its report, a timer...)."""
    match event:
        case RequestEvent() | RoutedEvent():
            request = event if isinstance(event, RequestEvent) else event.request
            return request.request_id
        case Commission() | CommissionStarted() | Report():
            return event.commission_id
        case TimerSet() | TimerEvent() | TimerCancelled():
            return event.timer_id
        case InboxItem():
            return event.thread_id if event.item == "question" else event.item_id
        case ApprovalEvent():
            return event.item_id
        case HandOffEvent():
            return event.handoff_id
        case Percept():
            return event.percept_id
        case AttentionEvent():
            return event.attention_id
        case DecisionEvent():
            return None


def event_key(event: Event, ref: str | None = None) -> str | None:
    """The idempotency key: a second event with the same key is never stored. ``ref``:
    ``event_ref(event)`` when the caller has it already."""
    match event:
        case CommissionStarted():
            return f"started:{event.commission_id}:{event.attempt}"
        case DecisionEvent():
            return f"decision:{event.domain}:{event.cause_seq}"
        case InboxItem():
            return f"inbox:{event.item_id}"
        case _:
            return f"{event.kind}:{event_ref(event) if ref is None else ref}"
