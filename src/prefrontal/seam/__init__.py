"""The seam: every record that crosses between tiers, and its validation.

Owns: requests, commissions, reports, percepts, actions, decisions and the journal's event
union, with their bounds. Imports only ``prefrontal.errors`` and pydantic; never the runtime,
policies, workers or senses. Every record is a frozen pydantic model with a ``kind``
discriminator, serialised by one adapter (``prefrontal.seam.codec``) for the journal and for
remote workers alike. Bounds are enforced here: an oversized field raises
``PayloadTooLargeError``; nothing is truncated silently.
"""

from typing import TYPE_CHECKING

from prefrontal.exports import lazy_exports

if TYPE_CHECKING:
    from prefrontal.seam.actions import (
        Action,
        AttendAction,
        CommissionAction,
        Decision,
        EscalateAction,
        HandOffAction,
        LimitOverrides,
        RememberAction,
        ReplyAction,
        ScheduleAction,
        WaitAction,
    )
    from prefrontal.seam.bounds import Bounds
    from prefrontal.seam.codec import decode_event, encode_event
    from prefrontal.seam.events import (
        ApprovalEvent,
        AttentionEvent,
        Commission,
        CommissionStarted,
        DecisionEvent,
        Event,
        GuardTrip,
        HandOffEvent,
        InboundEvent,
        InboxItem,
        Report,
        ReportError,
        RequestEvent,
        RoutedEvent,
        Source,
        TimerCancelled,
        TimerEvent,
        TimerSet,
        WorkerLimits,
    )
    from prefrontal.seam.percept import Percept
    from prefrontal.seam.roster import DomainView, WorkerSpec
    from prefrontal.seam.usage import Usage

# Each record module loads on first use: printing safe text needs no pydantic model.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "prefrontal.seam.actions": (
            "Action",
            "AttendAction",
            "CommissionAction",
            "Decision",
            "EscalateAction",
            "HandOffAction",
            "LimitOverrides",
            "RememberAction",
            "ReplyAction",
            "ScheduleAction",
            "WaitAction",
        ),
        "prefrontal.seam.bounds": ("Bounds",),
        "prefrontal.seam.codec": (
            "decode_event",
            "encode_event",
        ),
        "prefrontal.seam.events": (
            "ApprovalEvent",
            "AttentionEvent",
            "Commission",
            "CommissionStarted",
            "DecisionEvent",
            "Event",
            "GuardTrip",
            "HandOffEvent",
            "InboundEvent",
            "InboxItem",
            "Report",
            "ReportError",
            "RequestEvent",
            "RoutedEvent",
            "Source",
            "TimerCancelled",
            "TimerEvent",
            "TimerSet",
            "WorkerLimits",
        ),
        "prefrontal.seam.percept": ("Percept",),
        "prefrontal.seam.roster": (
            "DomainView",
            "WorkerSpec",
        ),
        "prefrontal.seam.usage": ("Usage",),
    },
)

__all__ = [
    "Action",
    "ApprovalEvent",
    "AttendAction",
    "AttentionEvent",
    "Bounds",
    "Commission",
    "CommissionAction",
    "CommissionStarted",
    "Decision",
    "DecisionEvent",
    "DomainView",
    "EscalateAction",
    "Event",
    "GuardTrip",
    "HandOffAction",
    "HandOffEvent",
    "InboundEvent",
    "InboxItem",
    "LimitOverrides",
    "Percept",
    "RememberAction",
    "ReplyAction",
    "Report",
    "ReportError",
    "RequestEvent",
    "RoutedEvent",
    "ScheduleAction",
    "Source",
    "TimerCancelled",
    "TimerEvent",
    "TimerSet",
    "Usage",
    "WaitAction",
    "WorkerLimits",
    "WorkerSpec",
    "decode_event",
    "encode_event",
]
