"""Guards in code, not in prompts: each trip turns into an escalation with its evidence.

Every trip, and the escalation telling the principal, is built here (``trip``), also for the
budget checked before a model policy is called (``budget_before_policy``) and the failures
the orchestrator meets around the policy call.

Applied to every decision before anything is journaled or dispatched: undeclared workers or
domains, commissions per event, identical repeated commissions (ping-pong), hand-off depth,
decisions per thread and decisions without progress (stall), the domain's budget (refused
before dispatch), tainted values flowing into a consequential worker (the principal approves
them, seeing where each came from), and failures nobody handled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from prefrontal.config import GuardsConfig
from prefrontal.runtime.state import DomainState, inputs_key
from prefrontal.seam.actions import (
    Action,
    AttendAction,
    CommissionAction,
    EscalateAction,
    HandOffAction,
    ReplyAction,
)
from prefrontal.seam.bounds import Bounds
from prefrontal.seam.events import GuardTrip, InboundEvent, Report
from prefrontal.seam.roster import DomainView
from prefrontal.seam.taint import handle_refs


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardInput:
    domain: str
    workers: tuple[str, ...]
    domains: tuple[str, ...]
    senses: tuple[str, ...] = ()
    budget_usd: Decimal
    limits: GuardsConfig
    consequential: Mapping[str, tuple[str, ...]] = field(default_factory=dict[str, tuple[str, ...]])
    """Consequential workers, each with the inputs that may take tainted values."""


def trip(
    trips: list[GuardTrip],
    guard: str,
    detail: str,
    *,
    evidence: tuple[str, ...] = (),
    proposed: tuple[CommissionAction, ...] = (),
) -> EscalateAction:
    """Record a trip of ``guard`` and return the escalation that tells the principal.

    The one place a trip and its escalation are built, for the guards below and for those
    the orchestrator meets around the policy call (a time-out, a policy error).
    """
    trips.append(GuardTrip(guard=guard, detail=detail))
    return EscalateAction(
        text=f"[{guard}] {detail}"[: Bounds.TEXT],
        priority="normal",
        evidence=evidence,
        proposed=proposed,
    )


def budget_before_policy(domain: str, view: DomainView, *, deterministic: bool) -> str | None:
    """Why a policy that may spend (a model) must not be called: its domain has spent its
    budget for the day. ``None`` when it may be called (rule policies always may)."""
    if deterministic or view.spent_usd < view.budget_usd:
        return None
    return (
        f"domain {domain!r} has spent ${view.spent_usd:.4f} of its ${view.budget_usd:.2f} "
        "budget today; the policy's model was not called"
    )


def apply_guards(
    actions: tuple[Action, ...],
    *,
    state: DomainState,
    event: InboundEvent,
    guards: GuardInput,
    approved: bool = False,
) -> tuple[tuple[Action, ...], tuple[GuardTrip, ...]]:
    """The actions that may proceed, and the trips. ``approved`` skips the budget check."""
    limits = guards.limits
    thread = event.thread_id
    trips: list[GuardTrip] = []
    evidence = (f"event: {event.kind} in thread {thread}",)
    decisions = state.thread_decisions[(thread, event.at.date().isoformat())] + 1
    if decisions > limits.max_decisions_per_thread:
        detail = (
            f"thread {thread} reached {decisions} decisions today (limit "
            f"{limits.max_decisions_per_thread}); stopped to avoid a runaway loop"
        )
        return (trip(trips, "stall", detail, evidence=evidence),), tuple(trips)
    if state.idle_streak[thread] + 1 > limits.max_idle_decisions and not state.progresses(
        thread, actions
    ):
        detail = (
            f"thread {thread} made {state.idle_streak[thread] + 1} decisions in a row without "
            f"progress (limit {limits.max_idle_decisions})"
        )
        return (trip(trips, "stall", detail, evidence=evidence),), tuple(trips)

    day = event.at.date().isoformat()
    committed = state.spent_on(day) + state.reserved()
    kept: list[Action] = []
    commissions = 0
    for action in actions:
        refusal: tuple[str, str] | None = None
        if isinstance(action, CommissionAction):
            commissions += 1
            refusal = _commission_refusal(action, commissions, state, thread, guards)
            flow = None if refusal or approved else _tainted_flow(action, guards)
            if flow is not None:
                kept.append(
                    trip(trips, "tainted input", flow[0], evidence=flow[1], proposed=(action,))
                )
                continue
            ceiling = state.ceiling(action)
            if refusal is None and not approved and committed + ceiling > guards.budget_usd:
                detail = (
                    f"commissioning {action.worker!r} (up to ${ceiling:.4f}) would exceed the "
                    f"budget of domain {guards.domain!r}: ${committed:.4f} spent or reserved "
                    f"of ${guards.budget_usd:.2f} today. Approve to dispatch it anyway"
                )
                kept.append(trip(trips, "budget", detail, evidence=evidence, proposed=(action,)))
                continue
            if refusal is None:
                committed += ceiling
        elif isinstance(action, HandOffAction):
            refusal = _handoff_refusal(action, state.handoff_depth(event) + 1, guards)
        elif isinstance(action, AttendAction) and action.sense not in guards.senses:
            refusal = (
                "undeclared sense",
                (
                    f"domain {guards.domain!r} may not direct sense {action.sense!r}; "
                    f"its senses: {list(guards.senses)}"
                ),
            )
        if refusal is not None:
            kept.append(trip(trips, *refusal, evidence=evidence))
        else:
            kept.append(action)

    if (
        isinstance(event, Report)
        and not event.ok
        and not any(isinstance(a, CommissionAction | ReplyAction | EscalateAction) for a in kept)
    ):
        message = event.error.message if event.error else event.status
        kept.append(
            trip(
                trips,
                "unhandled failure",
                (f"commission {event.commission_id} to {event.worker!r} {event.status}: {message}"),
                evidence=evidence,
            )
        )
    return tuple(kept), tuple(trips)


def _commission_refusal(
    action: CommissionAction, ordinal: int, state: DomainState, thread: str, guards: GuardInput
) -> tuple[str, str] | None:
    limits = guards.limits
    if action.worker not in guards.workers:
        return "undeclared worker", (
            f"domain {guards.domain!r} may not commission {action.worker!r}; "
            f"its workers: {list(guards.workers)}"
        )
    if ordinal > limits.max_commissions_per_event:
        return "commissions per event", (
            f"more than {limits.max_commissions_per_event} commissions for one event; "
            f"{action.worker!r} with inputs {str(action.inputs)[:200]} was not dispatched"
        )
    repeats = state.issued[(thread, inputs_key(action))]
    if repeats >= limits.max_identical_commissions:
        return "ping-pong", (
            f"{action.worker!r} was already commissioned {repeats} times in thread {thread} "
            f"with the same inputs {str(action.inputs)[:200]}"
        )
    return None


def _tainted_flow(
    action: CommissionAction, guards: GuardInput
) -> tuple[str, tuple[str, ...]] | None:
    """A consequential commission carrying tainted values where they are not allowed."""
    allowed = guards.consequential.get(action.worker)
    if allowed is None:
        return None
    flows = [
        (path, token)
        for path, token in handle_refs(action.inputs)
        if path.split(".")[0] not in allowed
    ]
    if not flows:
        return None
    inputs = sorted({path.split(".")[0] for path, _ in flows})
    detail = (
        f"commissioning consequential worker {action.worker!r} with tainted values in "
        f"input(s) {inputs}: they come from outside and no one checked them. Approve to "
        "dispatch it with these values, or deny"
    )
    lines = tuple(f"input {path!r} carries {token}"[: Bounds.NOTE] for path, token in flows)
    return detail, lines[: Bounds.EVIDENCE]


def _handoff_refusal(
    action: HandOffAction, depth: int, guards: GuardInput
) -> tuple[str, str] | None:
    if action.domain == guards.domain or action.domain not in guards.domains:
        others = [d for d in guards.domains if d != guards.domain]
        return "unknown domain", f"cannot hand off to {action.domain!r}; other domains: {others}"
    if depth > guards.limits.max_handoff_depth:
        return "hand-off depth", (
            f"hand-off to {action.domain!r} would be depth {depth} "
            f"(limit {guards.limits.max_handoff_depth})"
        )
    return None
