"""The worker contract: the protocol every worker implements, and what it exchanges.

It is seam because both sides meet on it: the runtime's executor calls ``Worker.run`` with a
``CommissionContext`` and takes a ``WorkerResult`` back; workers (``prefrontal.workers``) and
senses' drill-down tools (``prefrontal.senses.hearing.drill``) implement it without importing
each other or the runtime. Evidence is read through the small ``EvidenceReader`` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from prefrontal.seam.roster import WorkerSpec
from prefrontal.seam.usage import Usage


class EvidenceReader(Protocol):
    """Read access to the evidence store: the raw window behind a percept, by reference."""

    def get(self, ref: str) -> Any: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CommissionContext:
    """What a worker may know besides its inputs: its idempotency key and its constraints.

    A side effect (a message sent, a file written, a payment) must be keyed on
    ``idempotency_key``: a commission resumed after a crash runs again with the same key.
    """

    idempotency_key: str
    worker: str
    attempt: int
    constraints: tuple[str, ...] = ()
    timeout_s: float = 30.0
    max_tokens: int | None = None
    usage: list[Usage] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    evidence: EvidenceReader | None = None

    def record(self, *usage: Usage) -> None:
        """Meter what this attempt consumed; kept even when the attempt then fails."""
        self.usage.extend(usage)

    def keep(self, *evidence: str) -> None:
        """Keep evidence with the report (a program, its output); kept even on failure."""
        self.kept.extend(evidence)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerResult:
    output: Any
    confidence: float = 1.0
    evidence: tuple[str, ...] = field(default_factory=tuple)


class Worker(Protocol):
    """Executes one kind of commission. Raises ``PrefrontalError`` subclasses on failure."""

    @property
    def spec(self) -> WorkerSpec: ...

    async def run(self, inputs: dict[str, Any], context: CommissionContext) -> WorkerResult: ...
