"""The principal's single inbox, with its attention budget.

Replies and escalations become ``InboxItem`` records, journaled with the decision that made
them. The attention budget allows ``interruptions_per_day``: urgent items always interrupt,
normal ones interrupt while the day's budget (and their domain's share of it, if it has
one) lasts, low ones and everything past the budget go to the digest. Escalations that need
an answer always interrupt (they count against the budget, but are never held back by it).
They stay pending until the principal approves or denies them, across restarts,
wherever they were delivered. A reply or escalation may carry handles to tainted
text; the principal reads the entry's ``text``, where each handle is replaced by its text,
marked as from outside (``«from outside, worker 'reader': ...»``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from prefrontal.journal.base import JournalReads
from prefrontal.runtime.handles import HandleResolver
from prefrontal.seam.actions import EscalateAction, Priority, ReplyAction
from prefrontal.seam.events import ApprovalEvent, InboxItem, RoutedEvent, Source


class Inbox:
    """Assigns delivery (interrupt or digest) under the attention budget.

    ``interruptions_per_day`` is the principal's whole budget; ``per_domain`` optionally caps
    each domain's share of it, so one busy domain cannot spend the day's attention alone.
    """

    def __init__(
        self, interruptions_per_day: int, per_domain: Mapping[str, int | None] | None = None
    ) -> None:
        self.interruptions_per_day = interruptions_per_day
        self.per_domain = dict(per_domain or {})
        self._interrupts: Counter[str] = Counter()
        self._by_domain: Counter[tuple[str | None, str]] = Counter()

    def load(self, journal: JournalReads, *, after: int = 0) -> None:
        """Count the interruptions made after ``after``, so a restart keeps the day's budget."""
        for stored in journal.read(after=after, kinds=["inbox"]):
            self.note(stored.of(InboxItem).event)

    def dump(self) -> dict[str, Any]:
        """The interruption counts, for a snapshot."""
        return {
            "interrupts": dict(self._interrupts),
            "by_domain": [[domain, day, n] for (domain, day), n in self._by_domain.items()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        self._interrupts = Counter(data["interrupts"])
        self._by_domain = Counter({(domain, day): n for domain, day, n in data["by_domain"]})

    def note(self, item: InboxItem) -> None:
        if item.delivery == "interrupt":
            day = item.at.date().isoformat()
            self._interrupts[day] += 1
            self._by_domain[(item.domain, day)] += 1

    def interruptions(self, day: str) -> int:
        return self._interrupts[day]

    def delivery(
        self, priority: Priority, at: datetime, domain: str | None = None
    ) -> Literal["interrupt", "digest"]:
        if priority == "urgent":
            return "interrupt"
        if priority == "low":
            return "digest"
        day = at.date().isoformat()
        if self._interrupts[day] >= self.interruptions_per_day:
            return "digest"
        share = self.per_domain.get(domain) if domain is not None else None
        if share is not None and self._by_domain[(domain, day)] >= share:
            return "digest"
        return "interrupt"

    def item(
        self,
        action: ReplyAction | EscalateAction,
        *,
        item_id: str,
        domain: str,
        thread_id: str,
        source: Source,
        at: datetime,
    ) -> InboxItem:
        escalation = isinstance(action, EscalateAction)
        item = InboxItem(
            item_id=item_id,
            domain=domain,
            item="escalation" if escalation else "reply",
            text=action.text,
            priority=action.priority,
            # An escalation blocks its thread until answered: it always interrupts.
            delivery="interrupt" if escalation else self.delivery(action.priority, at, domain),
            needs_answer=escalation,
            proposed=action.proposed if isinstance(action, EscalateAction) else (),
            evidence=action.evidence if isinstance(action, EscalateAction) else (),
            thread_id=thread_id,
            source=source,
            at=at,
        )
        self.note(item)
        return item


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """An inbox item as the principal sees it: the item, its journal seq, and its answer.

    ``text`` and ``evidence`` are the item's, with handles resolved for the principal.
    """

    seq: int
    item: InboxItem
    answer: ApprovalEvent | RoutedEvent | None
    text: str = ""
    evidence: tuple[str, ...] = ()

    @property
    def pending(self) -> bool:
        return self.item.needs_answer and self.answer is None


def inbox_entries(journal: JournalReads) -> list[InboxEntry]:
    """Every inbox item with its answer, folded from the journal."""
    answers: dict[str, ApprovalEvent | RoutedEvent] = {}
    for stored in journal.read(kinds=["approval", "routed"]):
        event = stored.event
        if isinstance(event, ApprovalEvent):
            answers[event.item_id] = event
        elif isinstance(event, RoutedEvent) and event.method == "principal":
            answers[f"q-{event.request.request_id}"] = event
    resolver = HandleResolver(journal)
    return [
        _shown(resolver, stored.seq, stored.event, answers.get(stored.event.item_id))
        for stored in journal.read(kinds=["inbox"])
        if isinstance(stored.event, InboxItem)
    ]


def _shown(
    resolver: HandleResolver,
    seq: int,
    item: InboxItem,
    answer: ApprovalEvent | RoutedEvent | None,
) -> InboxEntry:
    """The entry with its handles resolved for the principal."""
    domain, thread = item.domain, item.thread_id
    text = resolver.show(item.text, domain=domain, thread_id=thread)
    evidence = tuple(resolver.show(e, domain=domain, thread_id=thread) for e in item.evidence)
    return InboxEntry(seq, item, answer, text, evidence)


def _answer(journal: JournalReads, item: InboxItem) -> ApprovalEvent | RoutedEvent | None:
    if item.item == "question":
        found = journal.find(item.thread_id, "routed")
        routed = found.event if found is not None else None
        return routed if isinstance(routed, RoutedEvent) and routed.method == "principal" else None
    found = journal.find(item.item_id, "approval")
    return found.event if found is not None and isinstance(found.event, ApprovalEvent) else None


def _entry(journal: JournalReads, seq: int, item: InboxItem) -> InboxEntry:
    answer = _answer(journal, item) if item.needs_answer else None
    return _shown(HandleResolver(journal), seq, item, answer)


def pending_entries(journal: JournalReads) -> list[InboxEntry]:
    """The items waiting for the principal's answer, oldest first (no whole-journal scan)."""
    from prefrontal.runtime.snapshot import load_snapshot

    snapshot = load_snapshot(journal)
    after = snapshot.seq if snapshot is not None else 0
    carried = snapshot.open.questions if snapshot is not None else []
    resolver = HandleResolver(journal)
    return [
        _shown(resolver, s.seq, s.event, None)
        for s in journal.open_items(after=after, carried=carried)
        if isinstance(s.event, InboxItem) and s.event.needs_answer
    ]


def recent_entries(journal: JournalReads, count: int) -> list[InboxEntry]:
    """The last ``count`` inbox items with their answers, oldest first."""
    return [
        _entry(journal, s.seq, s.event)
        for s in journal.last(count, kinds=["inbox"])
        if isinstance(s.event, InboxItem)
    ]


def thread_entries(journal: JournalReads, thread_id: str, *, after: int) -> list[InboxEntry]:
    """The inbox items of ``thread_id`` journaled after seq ``after`` (a thread's items all
    follow the event that began it), with their answers: reads the tail, never all items."""
    return [
        _entry(journal, s.seq, s.event)
        for s in journal.read(after=after, kinds=["inbox"])
        if isinstance(s.event, InboxItem) and s.event.thread_id == thread_id
    ]


def inbox_entry(journal: JournalReads, item_id: str) -> InboxEntry | None:
    """One item by id, with its answer: two index look-ups."""
    ref = item_id[2:] if item_id.startswith("q-") else item_id
    found = journal.find(ref, "inbox")
    if found is None or not isinstance(found.event, InboxItem) or found.event.item_id != item_id:
        return None
    return _entry(journal, found.seq, found.event)
