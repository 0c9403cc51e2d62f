"""Actions and decisions: the only way an orchestrator changes the world.

A policy returns a ``Decision``: a list of typed actions. There is no other channel. The
action space is fixed and holds no domain tools: precise or domain work is commissioned.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prefrontal.seam.bounds import Bounds, check_count, check_payload, check_text

Priority = Literal["low", "normal", "urgent"]


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LimitOverrides(_Action):
    """Limits a policy overrides on one commission; unset values come from the worker's
    ``WorkerLimits``."""

    timeout_s: float | None = Field(default=None, gt=0)
    max_tokens: int | None = Field(default=None, gt=0)
    max_cost_usd: float | None = Field(default=None, ge=0)
    retries: int | None = Field(default=None, ge=0, le=10)


class CommissionAction(_Action):
    """Commission a worker. ``constraints`` reach the worker verbatim, never paraphrased."""

    kind: Literal["commission"] = "commission"
    worker: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    constraints: tuple[str, ...] = ()
    limits: LimitOverrides = Field(default_factory=LimitOverrides)

    @model_validator(mode="after")
    def _bounded(self) -> CommissionAction:
        check_payload(f"inputs of a commission to '{self.worker}'", self.inputs)
        check_count("constraints", self.constraints, Bounds.CONSTRAINTS)
        for constraint in self.constraints:
            check_text("a constraint", constraint, Bounds.NOTE)
        return self


class ReplyAction(_Action):
    """Answer the principal through the inbox."""

    kind: Literal["reply"] = "reply"
    text: str
    priority: Priority = "normal"

    @model_validator(mode="after")
    def _bounded(self) -> ReplyAction:
        check_text("reply text", self.text)
        return self


class EscalateAction(_Action):
    """Ask the principal. With ``proposed`` actions it waits for approve or deny."""

    kind: Literal["escalate"] = "escalate"
    text: str
    priority: Priority = "normal"
    proposed: tuple[CommissionAction, ...] = ()
    evidence: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _bounded(self) -> EscalateAction:
        check_text("escalation text", self.text)
        check_count("escalation evidence", self.evidence, Bounds.EVIDENCE)
        for item in self.evidence:
            check_text("an evidence line", item, Bounds.NOTE)
        return self


class RememberAction(_Action):
    """Keep a memory note in the domain's state; notes survive compaction."""

    kind: Literal["remember"] = "remember"
    note: str

    @model_validator(mode="after")
    def _bounded(self) -> RememberAction:
        check_text("memory note", self.note, Bounds.NOTE)
        return self


class HandOffAction(_Action):
    """Pass the thread to another domain's orchestrator."""

    kind: Literal["handoff"] = "handoff"
    domain: str
    text: str
    payload: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bounded(self) -> HandOffAction:
        check_text("hand-off text", self.text)
        check_payload("hand-off payload", self.payload)
        return self


class ScheduleAction(_Action):
    """Set a timer: the orchestrator receives a timer event after ``after_s`` seconds."""

    kind: Literal["schedule"] = "schedule"
    name: str
    after_s: float = Field(ge=0)
    payload: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bounded(self) -> ScheduleAction:
        check_text("timer name", self.name, 200)
        check_payload("timer payload", self.payload, Bounds.PAYLOAD // 8)
        return self


class AttendAction(_Action):
    """Ask a sense the domain subscribes to for something: listen for these words, raise
    this threshold, report this channel. The sense answers with a ``sense.attention`` percept.
    """

    kind: Literal["attend"] = "attend"
    sense: str
    settings: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bounded(self) -> AttendAction:
        check_payload(f"attention settings for sense '{self.sense}'", self.settings, 4096)
        return self


class WaitAction(_Action):
    """Do nothing now; the orchestrator waits for the next event."""

    kind: Literal["wait"] = "wait"
    reason: str = ""


Action = Annotated[
    CommissionAction
    | ReplyAction
    | EscalateAction
    | RememberAction
    | HandOffAction
    | ScheduleAction
    | AttendAction
    | WaitAction,
    Field(discriminator="kind"),
]


class Decision(BaseModel):
    """A policy's output for one event: typed actions, and an optional short rationale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actions: tuple[Action, ...] = ()
    rationale: str = ""

    @model_validator(mode="after")
    def _bounded(self) -> Decision:
        check_count("a decision's actions", self.actions, Bounds.ACTIONS)
        check_text("decision rationale", self.rationale, Bounds.NOTE)
        return self

    @classmethod
    def of(cls, *actions: Any, rationale: str = "") -> Decision:
        return cls(actions=tuple(actions), rationale=rationale)

    @property
    def commissions(self) -> list[CommissionAction]:
        return [a for a in self.actions if isinstance(a, CommissionAction)]
