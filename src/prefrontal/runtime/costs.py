"""Cost: every model call's usage, attributed per domain, worker, tier, source and model.

A fold over the journal (kept up to date in ``summary.Summary``): decisions carry their
policy's usage, reports their worker's, and routing decisions the classifier's. Money comes
from genai-prices (through pydantic-ai) at the time of the call; a model with no known
price is counted as unpriced, never as zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from prefrontal.journal.base import JournalReads
from prefrontal.seam.usage import Usage

Axis = Literal["domain", "worker", "tier", "source", "model"]


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

    def merge(self, other: Totals) -> None:
        self.requests += other.requests
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost_usd += other.cost_usd
        self.unpriced += other.unpriced
        self.unpriced_tokens += other.unpriced_tokens

    @property
    def money(self) -> str:
        """``$0.0123``, ``unpriced (2 calls, 900 tokens)``, or both; never a false zero."""
        unpriced = f"unpriced ({self.unpriced} calls, {self.unpriced_tokens:,} tokens)"
        if self.unpriced and not self.cost_usd:
            return unpriced
        text = f"${self.cost_usd:.4f}"
        return f"{text} + {unpriced}" if self.unpriced else text


Cell = tuple[str, str, str, str, str]
"""A cost cell: (domain, worker, tier, source, model)."""
AXES: tuple[Axis, ...] = ("domain", "worker", "tier", "source", "model")


@dataclass(frozen=True, slots=True)
class CostLedger:
    """Totals per cost cell; ``by`` sums them along one axis."""

    cells: Mapping[Cell, Totals]

    def by(self, axis: Axis) -> dict[str, Totals]:
        position = AXES.index(axis)
        totals: dict[str, Totals] = defaultdict(Totals)
        for cell, cell_totals in self.cells.items():
            totals[cell[position]].merge(cell_totals)
        return dict(sorted(totals.items()))

    @property
    def total(self) -> Totals:
        totals = Totals()
        for cell_totals in self.cells.values():
            totals.merge(cell_totals)
        return totals


def cost_ledger(journal: JournalReads) -> CostLedger:
    """The ledger of the whole journal: the newest snapshot's totals plus the tail's."""
    from prefrontal.runtime.summary import read_summary  # it folds into this module's Totals

    return CostLedger(read_summary(journal).costs)
