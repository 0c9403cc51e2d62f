"""Aggregates the read commands need, maintained as events are journaled.

``status`` and ``costs`` used to fold the whole journal on every call. A ``Summary`` is the
same fold kept up to date: the driver folds every event it journals, stores the summary in
each snapshot, and a reader folds only the events after the newest snapshot
(``read_summary``). It folds only records the driver itself writes (decisions, reports,
routing decisions, percepts, inbox items), so the events other processes append (requests, answers)
never make a snapshot's summary differ from a fold of the journal up to its seq.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from prefrontal.journal.base import JournalReads, Stored
from prefrontal.runtime.costs import Cell, Totals
from prefrontal.seam.events import DecisionEvent, InboxItem, Report, RoutedEvent
from prefrontal.seam.percept import Percept
from prefrontal.seam.usage import Usage

SUMMARY_KINDS = ("decision", "report", "routed", "percept", "inbox")
_RECENT_RATIOS = 255


@dataclass(slots=True)
class DomainFigures:
    """One domain's decisions, their context size, and its spend per day."""

    decisions: int = 0
    context_tokens: int = 0
    context_max: int = 0
    spent: dict[str, Totals] = field(default_factory=dict)
    """Per day: priced cost and the calls no price is known for (never counted as $0)."""


@dataclass(slots=True)
class SenseFigures:
    """One sense's percepts, their recent compression ratios, and how far it has heard."""

    percepts: int = 0
    ratios: deque[float] = field(default_factory=lambda: deque(maxlen=_RECENT_RATIOS))
    heard_s: float = 0.0

    @property
    def median_ratio(self) -> float | None:
        ordered = sorted(self.ratios)
        return ordered[len(ordered) // 2] if ordered else None


@dataclass(slots=True)
class Summary:
    """The journal's aggregates up to ``seq``: per domain, per cost cell, per sense."""

    seq: int = 0
    domains: dict[str, DomainFigures] = field(default_factory=dict)
    costs: dict[Cell, Totals] = field(default_factory=dict)
    senses: dict[str, SenseFigures] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)
    """Inbox items per delivery (``interrupt``, ``digest``)."""

    def fold(self, stored: Stored) -> None:
        event = stored.event
        self.seq = max(self.seq, stored.seq)
        if isinstance(event, DecisionEvent):
            figures = self._figures(event.domain)
            figures.decisions += 1
            figures.context_tokens += event.context_tokens
            figures.context_max = max(figures.context_max, event.context_tokens)
            if event.usage:
                self._spend(event.domain, event.at.date().isoformat(), event.usage)
                self._cost(event.domain, "(policy)", event.source, event.usage)
        elif isinstance(event, Report):
            if event.usage:
                self._spend(event.domain, event.at.date().isoformat(), event.usage)
                self._cost(event.domain, event.worker, event.source, event.usage)
        elif isinstance(event, RoutedEvent):
            self._cost("(router)", "(router)", "request", event.usage)
        elif isinstance(event, InboxItem):
            self.deliveries[event.delivery] = self.deliveries.get(event.delivery, 0) + 1
        elif isinstance(event, Percept):
            sense = self.senses.setdefault(event.sense, SenseFigures())
            sense.percepts += 1
            sense.ratios.append(event.compression)
            if not event.name.startswith("sense."):
                sense.heard_s = max(sense.heard_s, event.span[1])

    def _figures(self, domain: str) -> DomainFigures:
        # Not ``setdefault``: it would build a DomainFigures for every event it folds.
        figures = self.domains.get(domain)
        if figures is None:
            figures = self.domains[domain] = DomainFigures()
        return figures

    def _spend(self, domain: str, day: str, usage: tuple[Usage, ...]) -> None:
        if not usage:
            return
        totals = self._figures(domain).spent.setdefault(day, Totals())
        for item in usage:
            totals.add(item)

    def _cost(self, domain: str, worker: str, source: str, usage: tuple[Usage, ...]) -> None:
        for item in usage:
            key = (domain, worker, item.tier, source, item.model or "(fixed price)")
            self.costs.setdefault(key, Totals()).add(item)

    # -- snapshots -------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "domains": {
                name: [
                    f.decisions,
                    f.context_tokens,
                    f.context_max,
                    {d: _dump_totals(v) for d, v in f.spent.items()},
                ]
                for name, f in self.domains.items()
            },
            "costs": [[*key, *_dump_totals(c)] for key, c in self.costs.items()],
            "senses": {
                name: [s.percepts, list(s.ratios), s.heard_s] for name, s in self.senses.items()
            },
            "deliveries": self.deliveries,
        }

    @classmethod
    def restore(cls, data: dict[str, Any]) -> Summary:
        summary = cls(seq=int(data["seq"]))
        for name, (decisions, tokens, top, spent) in data["domains"].items():
            summary.domains[name] = DomainFigures(
                decisions, tokens, top, {d: _load_totals(v) for d, v in spent.items()}
            )
        for row in data["costs"]:
            key = (row[0], row[1], row[2], row[3], row[4])
            summary.costs[key] = _load_totals(row[5:])
        for name, (percepts, ratios, heard) in data["senses"].items():
            summary.senses[name] = SenseFigures(
                percepts, deque(ratios, maxlen=_RECENT_RATIOS), heard
            )
        summary.deliveries = dict(data["deliveries"])
        return summary


def _dump_totals(totals: Totals) -> list[int | str]:
    return [
        totals.requests,
        totals.input_tokens,
        totals.output_tokens,
        str(totals.cost_usd),
        totals.unpriced,
        totals.unpriced_tokens,
    ]


def _load_totals(row: list[Any]) -> Totals:
    requests, inputs, outputs, cost, unpriced, unpriced_tokens = row
    return Totals(requests, inputs, outputs, Decimal(cost), unpriced, unpriced_tokens)


def fold_summary(journal: JournalReads, base: Summary | None = None) -> Summary:
    """``base`` (or an empty summary) brought up to the journal's end by folding the tail."""
    summary = base or Summary()
    for stored in journal.read(after=summary.seq, kinds=SUMMARY_KINDS):
        summary.fold(stored)
    return summary


def read_summary(journal: JournalReads) -> Summary:
    """The journal's aggregates now: the newest snapshot's, plus a fold of the rows after it."""
    from prefrontal.runtime.snapshot import load_snapshot

    snapshot = load_snapshot(journal)
    return fold_summary(journal, snapshot.summary if snapshot is not None else None)


@dataclass(frozen=True, slots=True)
class DomainStatus:
    """One domain as ``status`` shows it."""

    decisions: int
    pending: int
    open: int
    context_mean: float | None
    context_max: int
    spent: Totals


@dataclass(frozen=True, slots=True)
class JournalStatus:
    """The journal as ``status`` shows it: read from the newest snapshot and the tail only."""

    events: int
    day: str | None
    domains: dict[str, DomainStatus]
    senses: dict[str, SenseFigures]


def read_status(journal: JournalReads, domains: Iterable[str]) -> JournalStatus:
    """Decisions, undecided events, open commissions and today's spend per domain."""
    from prefrontal.runtime.snapshot import OpenWork, load_snapshot

    snapshot = load_snapshot(journal)
    summary = fold_summary(journal, snapshot.summary if snapshot is not None else None)
    after = snapshot.seq if snapshot is not None else 0
    carried = snapshot.open if snapshot is not None else OpenWork()
    last = journal.last(1)
    day = last[0].event.at.date().isoformat() if last else None
    open_by: Counter[str] = Counter(
        getattr(s.event, "domain", "")
        for s in journal.open_commissions(after=after, carried=carried.commissions)
    )
    status: dict[str, DomainStatus] = {}
    for name in domains:
        figures = summary.domains.get(name, DomainFigures())
        # A domain the snapshot did not know has no carried list: read all of its events.
        since = after if name in carried.pending else 0
        pending = journal.pending(name, after=since, carried=carried.pending.get(name, ()))
        status[name] = DomainStatus(
            decisions=figures.decisions,
            pending=len(pending),
            open=open_by[name],
            context_mean=figures.context_tokens / figures.decisions if figures.decisions else None,
            context_max=figures.context_max,
            spent=figures.spent.get(day, Totals()) if day else Totals(),
        )
    return JournalStatus(
        events=last[0].seq if last else 0, day=day, domains=status, senses=summary.senses
    )
