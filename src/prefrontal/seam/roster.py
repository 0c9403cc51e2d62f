"""Roster entries and the view of its domain a policy decides from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from prefrontal.seam.events import WorkerLimits


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerSpec:
    """A roster entry: what an orchestrator is told about a worker it may commission."""

    name: str
    kind: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    limits: WorkerLimits = field(default_factory=WorkerLimits)
    """Its default limits (from its config); a commission's overrides apply on top."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rendered:
    """The domain's context as text, and the recent lines that fit the budget with it."""

    recent: tuple[str, ...]
    context: str
    context_tokens: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainView:
    """Everything a policy may see: its own domain only, bounded by the context budget.

    ``context`` is the rendered text an LLM policy reads, ``context_tokens`` its measured
    size; rule policies read the same facts as fields. The text is rendered when first
    read (``recent``, ``context`` or ``context_tokens``): a rule policy that reads none of
    them costs no rendering, and its decision records ``context_tokens`` 0 (not measured).
    """

    domain: str
    principal: str
    charter: str
    never: tuple[str, ...]
    memory: tuple[str, ...]
    roster: tuple[WorkerSpec, ...]
    open_commissions: tuple[str, ...]
    spent_usd: Decimal
    budget_usd: Decimal
    render: Callable[[], Rendered] = field(repr=False, compare=False)
    _rendered: list[Rendered] = field(default_factory=list[Rendered], repr=False, compare=False)

    @property
    def rendered(self) -> Rendered:
        if not self._rendered:
            self._rendered.append(self.render())
        return self._rendered[0]

    @property
    def recent(self) -> tuple[str, ...]:
        """The recent history's lines that fit the context budget, oldest first."""
        return self.rendered.recent

    @property
    def context(self) -> str:
        return self.rendered.context

    @property
    def context_tokens(self) -> int:
        return self.rendered.context_tokens

    @property
    def measured_tokens(self) -> int:
        """``context_tokens`` if the context was rendered, else 0 (not measured)."""
        return self._rendered[0].context_tokens if self._rendered else 0

    def worker(self, name: str) -> WorkerSpec | None:
        return next((w for w in self.roster if w.name == name), None)
