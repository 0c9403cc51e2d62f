"""Aggregates the read commands need, maintained as events are journaled.

``status`` and ``costs`` used to fold the whole journal on every call. A ``Summary`` is the
same fold kept up to date: the driver folds every event it journals, stores the summary in
each snapshot, and a reader folds only the events after the newest snapshot
(``read_summary``). It folds only records the driver itself writes (decisions, reports,
routing decisions, percepts), so the events other processes append (requests, answers)
never make a snapshot's summary differ from a fold of the journal up to its seq.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from prefrontal.journal.base import Journal, Stored
from prefrontal.runtime.costs import Axis, Totals
from prefrontal.seam.events import DecisionEvent, Report, RoutedEvent
from prefrontal.seam.percept import Percept
from prefrontal.seam.usage import Usage

SUMMARY_KINDS = ("decision", "report", "routed", "percept")
_AXES: tuple[Axis, ...] = ("domain", "worker", "tier", "source", "model")
_RECENT_RATIOS = 255
Key = tuple[str, str, str, str, str]


@dataclass(slots=True)
class DomainFigures:
    """One domain's decisions, their context size, and its spend per day."""

    decisions: int = 0
    context_tokens: int = 0
    context_max: int = 0
    spent: dict[str, Decimal] = field(default_factory=dict)


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
    costs: dict[Key, Totals] = field(default_factory=dict)
    senses: dict[str, SenseFigures] = field(default_factory=dict)

    def fold(self, stored: Stored) -> None:
        event = stored.event
        self.seq = max(self.seq, stored.seq)
        if isinstance(event, DecisionEvent):
            figures = self.domains.setdefault(event.domain, DomainFigures())
            figures.decisions += 1
            figures.context_tokens += event.context_tokens
            figures.context_max = max(figures.context_max, event.context_tokens)
            self._spend(event.domain, event.at.date().isoformat(), event.usage)
            self._cost(event.domain, "(policy)", event.source, event.usage)
        elif isinstance(event, Report):
            self._spend(event.domain, event.at.date().isoformat(), event.usage)
            self._cost(event.domain, event.worker, event.source, event.usage)
        elif isinstance(event, RoutedEvent):
            self._cost("(router)", "(router)", "request", event.usage)
        elif isinstance(event, Percept):
            sense = self.senses.setdefault(event.sense, SenseFigures())
            sense.percepts += 1
            sense.ratios.append(event.compression)
            if not event.name.startswith("sense."):
                sense.heard_s = max(sense.heard_s, event.span[1])

    def _spend(self, domain: str, day: str, usage: tuple[Usage, ...]) -> None:
        if not usage:
            return
        spent = self.domains.setdefault(domain, DomainFigures()).spent
        spent[day] = spent.get(day, Decimal(0)) + sum(
            (u.cost_usd or Decimal(0) for u in usage), Decimal(0)
        )

    def _cost(self, domain: str, worker: str, source: str, usage: tuple[Usage, ...]) -> None:
        for item in usage:
            key = (domain, worker, item.tier, source, item.model or "(fixed price)")
            self.costs.setdefault(key, Totals()).add(item)

    # -- the cost ledger's view ------------------------------------------------------------

    def by(self, axis: Axis) -> dict[str, Totals]:
        """Cost totals per value of ``axis``, as ``CostLedger.by`` gives them."""
        position = _AXES.index(axis)
        totals: dict[str, Totals] = {}
        for key, cell in self.costs.items():
            _merge(totals.setdefault(key[position], Totals()), cell)
        return dict(sorted(totals.items()))

    @property
    def total(self) -> Totals:
        totals = Totals()
        for cell in self.costs.values():
            _merge(totals, cell)
        return totals

    # -- snapshots -------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "domains": {
                name: [
                    f.decisions,
                    f.context_tokens,
                    f.context_max,
                    {d: str(v) for d, v in f.spent.items()},
                ]
                for name, f in self.domains.items()
            },
            "costs": [
                [*key, c.requests, c.input_tokens, c.output_tokens, str(c.cost_usd), c.unpriced]
                for key, c in self.costs.items()
            ],
            "senses": {
                name: [s.percepts, list(s.ratios), s.heard_s] for name, s in self.senses.items()
            },
        }

    @classmethod
    def restore(cls, data: dict[str, Any]) -> Summary:
        summary = cls(seq=int(data["seq"]))
        for name, (decisions, tokens, top, spent) in data["domains"].items():
            summary.domains[name] = DomainFigures(
                decisions, tokens, top, {d: Decimal(v) for d, v in spent.items()}
            )
        for *key, requests, inputs, outputs, cost, unpriced in data["costs"]:
            cell = Totals(requests, inputs, outputs, Decimal(cost), unpriced)
            summary.costs[(key[0], key[1], key[2], key[3], key[4])] = cell
        for name, (percepts, ratios, heard) in data["senses"].items():
            summary.senses[name] = SenseFigures(
                percepts, deque(ratios, maxlen=_RECENT_RATIOS), heard
            )
        return summary


def _merge(into: Totals, cell: Totals) -> None:
    into.requests += cell.requests
    into.input_tokens += cell.input_tokens
    into.output_tokens += cell.output_tokens
    into.cost_usd += cell.cost_usd
    into.unpriced += cell.unpriced


def fold_summary(journal: Journal, base: Summary | None = None) -> Summary:
    """``base`` (or an empty summary) brought up to the journal's end by folding the tail."""
    summary = base or Summary()
    for stored in journal.read(after=summary.seq, kinds=SUMMARY_KINDS):
        summary.fold(stored)
    return summary
