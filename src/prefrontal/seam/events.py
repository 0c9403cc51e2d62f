"""The journal's events: what arrives at an orchestrator, and what the runtime records.

Inbound events (delivered to one domain's orchestrator, one at a time, in journal order):
``routed`` (a principal request, with the router's reason), ``report``, ``percept``,
``timer``, ``handoff`` and ``approval``. Runtime records: ``request`` (acknowledged, not yet
routed), ``decision``, ``commission`` (issued), ``started``, ``inbox`` and ``timer_set``.

Every inbound event belongs to a *thread* (the request, percept or timer it descends from)
and a *source* (``request``, ``percept`` or ``timer``), so cost can be attributed to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from typing_extensions import TypeIs

from prefrontal.seam.actions import Action, CommissionAction, Priority
from prefrontal.seam.bounds import Bounds, check_payload, check_text
from prefrontal.seam.percept import Percept
from prefrontal.seam.taint import Provenance
from prefrontal.seam.usage import Usage

Source = Literal["request", "percept", "timer"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RequestEvent(_Record):
    """A principal's request, acknowledged once journaled; routing happens after."""

    kind: Literal["request"] = "request"
    request_id: str
    text: str
    address: str | None = None
    at: datetime

    @model_validator(mode="after")
    def _bounded(self) -> RequestEvent:
        check_text("request text", self.text)
        return self


class RoutedEvent(_Record):
    """The router's decision for one request, with its reason; delivered to the domain."""

    kind: Literal["routed"] = "routed"
    request: RequestEvent
    domain: str
    method: Literal["address", "rules", "classifier", "principal"]
    reason: str
    usage: tuple[Usage, ...] = ()
    at: datetime

    @property
    def thread_id(self) -> str:
        return self.request.request_id

    @property
    def source(self) -> Source:
        return "request"

    @property
    def text(self) -> str:
        return self.request.text


class WorkerLimits(_Record):
    """The limits a worker runs a commission under: time, tokens, money, and retries.

    A worker's defaults (from its config) travel in its ``WorkerSpec``; a commission carries
    them with the policy's ``LimitOverrides`` applied."""

    timeout_s: float = 30.0
    max_tokens: int | None = None
    max_cost_usd: float = 0.0
    retries: int = 2


class Commission(_Record):
    """A bounded, typed work order. ``commission_id`` is its idempotency key.

    The id is deterministic (domain, causing event, action index), so a restart that
    re-issues or resumes it uses the same key and a keyed side effect happens once.
    """

    kind: Literal["commission"] = "commission"
    commission_id: str
    domain: str
    worker: str
    inputs: dict[str, Any]
    constraints: tuple[str, ...] = ()
    limits: WorkerLimits
    cause_seq: int
    thread_id: str
    source: Source
    at: datetime
    tainted: tuple[str, ...] = ()
    """The handles its inputs carry (tainted values, with where they came from)."""


class CommissionStarted(_Record):
    """An attempt at a commission began, journaled only if a commit sees it in flight: an
    attempt whose report is queued before the next commit leaves only the report (its
    ``attempts`` and ``duration_s`` say the same)."""

    kind: Literal["started"] = "started"
    commission_id: str
    domain: str
    attempt: int
    at: datetime


class ReportError(_Record):
    """Why a commission failed: a stable code, the message, and whether a retry could help.

    The message is tainted (it may quote the outside world) unless ``trusted``: Prefrontal
    wrote it from closed parts (a time-out, a cancellation). An orchestrator sees the code,
    and a tainted message only as a handle.
    """

    code: str
    message: str
    retryable: bool = False
    trusted: bool = False

    def __str__(self) -> str:
        return f"{self.message} ({self.code})"


class Report(_Record):
    """A worker's typed answer. Also the commission's terminal lifecycle record."""

    kind: Literal["report"] = "report"
    commission_id: str
    domain: str
    worker: str
    status: Literal["ok", "failed", "refused", "cancelled"]
    output: Any = None
    error: ReportError | None = None
    usage: tuple[Usage, ...] = ()
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    evidence: tuple[str, ...] = ()
    attempts: int = 1
    duration_s: float = 0.0
    thread_id: str
    source: Source
    at: datetime
    provenance: Provenance | None = None
    """Which paths of ``output`` are tainted; ``None`` (older journals): every string is."""

    @model_validator(mode="after")
    def _bounded(self) -> Report:
        check_payload(
            f"output of worker '{self.worker}'",
            self.output,
            fix="return less, or summarise and keep the rest as evidence",
        )
        return self

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class TimerSet(_Record):
    kind: Literal["timer_set"] = "timer_set"
    timer_id: str
    domain: str
    name: str
    due_at: datetime
    payload: dict[str, Any] = Field(default_factory=dict)
    thread_id: str
    at: datetime


class TimerEvent(_Record):
    """A timer that came due. Its key is the timer id, so it fires once.

    It continues the thread of the decision that set it; its cost is counted as ``timer``.
    """

    kind: Literal["timer"] = "timer"
    timer_id: str
    domain: str
    name: str
    payload: dict[str, Any] = Field(default_factory=dict)
    thread_id: str
    at: datetime

    @property
    def source(self) -> Source:
        return "timer"


class TimerCancelled(_Record):
    """The principal cancelled a pending timer; it never fires."""

    kind: Literal["timer_cancelled"] = "timer_cancelled"
    timer_id: str
    domain: str
    at: datetime


class HandOffEvent(_Record):
    kind: Literal["handoff"] = "handoff"
    handoff_id: str
    from_domain: str
    domain: str
    text: str
    payload: dict[str, Any] = Field(default_factory=dict)
    depth: int = Field(ge=1)
    thread_id: str
    source: Source
    at: datetime

    @model_validator(mode="after")
    def _bounded(self) -> HandOffEvent:
        check_text("hand-off text", self.text)
        return self


class ApprovalEvent(_Record):
    """The principal's answer to an escalation that waited for approval."""

    kind: Literal["approval"] = "approval"
    item_id: str
    domain: str
    approved: bool
    note: str = ""
    proposed: tuple[CommissionAction, ...] = ()
    thread_id: str
    source: Source
    at: datetime

    @model_validator(mode="after")
    def _bounded(self) -> ApprovalEvent:
        check_text("approval note", self.note, Bounds.NOTE)
        return self


class AttentionEvent(_Record):
    """A domain's attention request to one of its senses, journaled before it is applied."""

    kind: Literal["attention"] = "attention"
    attention_id: str
    domain: str
    sense: str
    settings: dict[str, Any] = Field(default_factory=dict)
    thread_id: str
    at: datetime


class GuardTrip(_Record):
    """A guard in code that stopped an action, with the evidence."""

    guard: str
    detail: str


class DecisionEvent(_Record):
    """One orchestrator decision: the event it answers, the final actions, and its measure."""

    kind: Literal["decision"] = "decision"
    domain: str
    cause_seq: int
    policy: str
    actions: tuple[Action, ...]
    rationale: str = ""
    trips: tuple[GuardTrip, ...] = ()
    context_tokens: int
    usage: tuple[Usage, ...] = ()
    thread_id: str
    source: Source
    at: datetime


class InboxItem(_Record):
    """An item in the principal's single inbox."""

    kind: Literal["inbox"] = "inbox"
    item_id: str
    domain: str | None
    item: Literal["reply", "escalation", "question"]
    text: str
    priority: Priority = "normal"
    delivery: Literal["interrupt", "digest"] = "interrupt"
    needs_answer: bool = False
    proposed: tuple[CommissionAction, ...] = ()
    evidence: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    thread_id: str
    source: Source
    at: datetime


InboundEvent = RoutedEvent | Report | Percept | TimerEvent | HandOffEvent | ApprovalEvent

Event = Annotated[
    RequestEvent
    | RoutedEvent
    | Commission
    | CommissionStarted
    | Report
    | Percept
    | TimerSet
    | TimerEvent
    | TimerCancelled
    | HandOffEvent
    | ApprovalEvent
    | DecisionEvent
    | InboxItem
    | AttentionEvent,
    Field(discriminator="kind"),
]

INBOUND_KINDS: frozenset[str] = frozenset(
    {"routed", "report", "percept", "timer", "handoff", "approval"}
)


def is_inbound(event: object) -> TypeIs[InboundEvent]:
    """Whether ``event`` is one an orchestrator decides on (its kind is in ``INBOUND_KINDS``)."""
    return isinstance(event, InboundEvent)
