"""One-line English renderings of events, for contexts, transcripts and the journal view."""

from __future__ import annotations

from prefrontal.seam.actions import (
    Action,
    AttendAction,
    CommissionAction,
    EscalateAction,
    HandOffAction,
    RememberAction,
    ReplyAction,
    ScheduleAction,
    WaitAction,
)
from prefrontal.seam.events import (
    ApprovalEvent,
    AttentionEvent,
    Commission,
    CommissionStarted,
    DecisionEvent,
    Event,
    HandOffEvent,
    InboxItem,
    Report,
    RequestEvent,
    RoutedEvent,
    TimerCancelled,
    TimerEvent,
    TimerSet,
)
from prefrontal.seam.percept import Percept


def _clip(text: str, width: int = 100) -> str:
    text = " ".join(str(text).split())  # str(): a handle is rendered as its token, not read
    return text if len(text) <= width else text[: width - 1] + "…"


def one_line(event: Event) -> str:
    """A short rendering of any journal event."""
    match event:
        case RequestEvent():
            return f"request {event.request_id}: {_clip(event.text)!r}"
        case RoutedEvent():
            return (
                f"request {event.request.request_id} → {event.domain} "
                f"({event.method}: {_clip(event.reason, 60)}): {_clip(event.text)!r}"
            )
        case Commission():
            return f"commission {event.commission_id} → {event.worker} {_clip(str(event.inputs))}"
        case CommissionStarted():
            return f"started {event.commission_id} (attempt {event.attempt})"
        case Report():
            if event.ok:
                return (
                    f"report {event.commission_id} from {event.worker}: {_clip(str(event.output))}"
                )
            reason = event.error.message if event.error else event.status
            return (
                f"report {event.commission_id} from {event.worker} {event.status}: {_clip(reason)}"
            )
        case Percept():
            return f"percept {event.name} from {event.sense}: {event.rendering}"
        case TimerSet():
            return f"timer {event.name!r} set for {event.due_at:%Y-%m-%d %H:%M}"
        case TimerEvent():
            return f"timer {event.name!r} fired"
        case TimerCancelled():
            return f"timer {event.timer_id} cancelled by the principal"
        case HandOffEvent():
            return f"hand-off from {event.from_domain} (depth {event.depth}): {_clip(event.text)!r}"
        case ApprovalEvent():
            verdict = "approved" if event.approved else "denied"
            return f"principal {verdict} {event.item_id}" + (
                f": {event.note!r}" if event.note else ""
            )
        case DecisionEvent():
            return f"decision on #{event.cause_seq}: {actions_line(event.actions)}"
        case AttentionEvent():
            return f"attention to {event.sense}: {event.settings}"
        case InboxItem():
            return f"inbox {event.item} ({event.priority}, {event.delivery}): {_clip(event.text)!r}"


def action_line(action: Action) -> str:
    match action:
        case CommissionAction():
            return f"commission {action.worker}"
        case ReplyAction():
            return f"reply {_clip(action.text, 60)!r}"
        case EscalateAction():
            return f"escalate {_clip(action.text, 60)!r}"
        case RememberAction():
            return f"remember {_clip(action.note, 60)!r}"
        case HandOffAction():
            return f"hand off to {action.domain}"
        case ScheduleAction():
            return f"schedule {action.name!r} in {action.after_s:g}s"
        case AttendAction():
            return f"attend {action.sense} {action.settings}"
        case WaitAction():
            return "wait" + (f" ({action.reason})" if action.reason else "")


def actions_line(actions: tuple[Action, ...]) -> str:
    return "; ".join(action_line(a) for a in actions) or "nothing"
