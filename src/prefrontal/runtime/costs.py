"""Cost: every model call's usage, attributed per domain, worker, tier, source and model.

A fold over the journal: decisions carry their policy's usage, reports their worker's, and
routing decisions the classifier's. Money comes from genai-prices (through pydantic-ai) at
the time of the call; a model with no known price is counted as unpriced, never as zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from prefrontal.journal.base import Journal
from prefrontal.seam.events import DecisionEvent, Report, RoutedEvent
from prefrontal.seam.usage import Usage

Axis = Literal["domain", "worker", "tier", "source", "model"]


@dataclass(frozen=True, slots=True)
class CostRow:
    domain: str
    worker: str
    tier: str
    source: str
    model: str
    usage: Usage


@dataclass(slots=True)
class Totals:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = field(default_factory=Decimal)
    unpriced: int = 0
    unpriced_tokens: int = 0

    def add(self, usage: Usage) -> None:
        self.requests += usage.requests
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        if usage.cost_usd is None:
            self.unpriced += max(usage.requests, 1)
            self.unpriced_tokens += usage.tokens
        else:
            self.cost_usd += usage.cost_usd

    @property
    def money(self) -> str:
        """``$0.0123``, ``unpriced (2 calls, 900 tokens)``, or both; never a false zero."""
        unpriced = f"unpriced ({self.unpriced} calls, {self.unpriced_tokens:,} tokens)"
        if self.unpriced and not self.cost_usd:
            return unpriced
        text = f"${self.cost_usd:.4f}"
        return f"{text} + {unpriced}" if self.unpriced else text


@dataclass(frozen=True, slots=True)
class CostLedger:
    rows: tuple[CostRow, ...]

    def by(self, axis: Axis) -> dict[str, Totals]:
        totals: dict[str, Totals] = defaultdict(Totals)
        for row in self.rows:
            totals[getattr(row, axis)].add(row.usage)
        return dict(sorted(totals.items()))

    @property
    def total(self) -> Totals:
        totals = Totals()
        for row in self.rows:
            totals.add(row.usage)
        return totals


def _rows(domain: str, worker: str, source: str, usage: Iterable[Usage]) -> list[CostRow]:
    return [CostRow(domain, worker, u.tier, source, u.model or "(fixed price)", u) for u in usage]


def cost_ledger(journal: Journal) -> CostLedger:
    rows: list[CostRow] = []
    for stored in journal.read(kinds=["decision", "report", "routed"]):
        event = stored.event
        if isinstance(event, DecisionEvent):
            rows += _rows(event.domain, "(policy)", event.source, event.usage)
        elif isinstance(event, Report):
            rows += _rows(event.domain, event.worker, event.source, event.usage)
        elif isinstance(event, RoutedEvent):
            rows += _rows("(router)", "(router)", "request", event.usage)
    return CostLedger(tuple(rows))
