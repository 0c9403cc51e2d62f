"""Roster entries and the view of its domain a policy decides from."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerSpec:
    """A roster entry: what an orchestrator is told about a worker it may commission."""

    name: str
    kind: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainView:
    """Everything a policy may see: its own domain only, bounded by the context budget.

    ``context`` is the rendered text an LLM policy reads, ``context_tokens`` its measured
    size; rule policies read the same facts as fields.
    """

    domain: str
    principal: str
    charter: str
    never: tuple[str, ...]
    memory: tuple[str, ...]
    recent: tuple[str, ...]
    roster: tuple[WorkerSpec, ...]
    open_commissions: tuple[str, ...]
    spent_usd: Decimal
    budget_usd: Decimal
    context: str
    context_tokens: int

    def worker(self, name: str) -> WorkerSpec | None:
        return next((w for w in self.roster if w.name == name), None)
