"""The journal protocol and the keys that make appends idempotent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from prefrontal.seam.events import (
    ApprovalEvent,
    AttentionEvent,
    Commission,
    CommissionStarted,
    DecisionEvent,
    Event,
    HandOffEvent,
    InboxItem,
    Report,
    RequestEvent,
    RoutedEvent,
    TimerCancelled,
    TimerEvent,
    TimerSet,
)
from prefrontal.seam.percept import Percept


@dataclass(frozen=True, slots=True)
class Stored:
    """An event as the journal holds it: its sequence number and the record."""

    seq: int
    event: Event


class Journal(Protocol):
    """Append-only event log. Appends are atomic per call; keyed duplicates are dropped."""

    def append(self, batch: Sequence[Event]) -> list[Stored | None]:
        """Store ``events`` in one transaction. A keyed event already present gives ``None``."""
        ...

    def read(
        self,
        *,
        after: int = 0,
        kinds: Iterable[str] | None = None,
        domain: str | None = None,
        limit: int | None = None,
    ) -> list[Stored]: ...

    def pending(self, domain: str) -> list[Stored]:
        """Inbound events of ``domain`` that no decision has answered yet, in order."""
        ...

    def open_commissions(self) -> list[Stored]:
        """Issued commissions without a report, in order."""
        ...

    def unrouted(self) -> list[Stored]:
        """Requests with neither a routing decision nor a question to the principal."""
        ...

    def due_timers(self, now: datetime) -> list[Stored]: ...

    def next_timer(self) -> datetime | None: ...

    def find(self, ref: str, kind: str) -> Stored | None: ...

    def last_seq(self) -> int: ...

    def close(self) -> None: ...


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


def event_key(event: Event) -> str | None:
    """The idempotency key: a second event with the same key is never stored."""
    match event:
        case CommissionStarted():
            return f"started:{event.commission_id}:{event.attempt}"
        case DecisionEvent():
            return f"decision:{event.domain}:{event.cause_seq}"
        case InboxItem():
            return f"inbox:{event.item_id}"
        case _:
            return f"{event.kind}:{event_ref(event)}"
