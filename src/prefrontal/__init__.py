"""Prefrontal: a runtime for personal multi-agent systems.

A few domain-owning orchestrators (persistent state, a serial decision loop, capable models
or plain rules) over many stateless workers (bounded, typed commissions on cheap models or
plain code), with a typed, bounded, measured seam between them and one journal underneath.

Packages, from the bottom up (imports only point down): ``errors``, ``clock`` (ground
floor); ``seam`` (records); ``journal``, ``models``, ``config`` (storage); ``sandbox``;
``policies``, ``workers``, ``senses`` (tiers); ``runtime`` (assembly and the loop); this
facade, ``testing`` (the fakes), the household example and the benchmarks (applications);
``cli`` and ``http`` (interfaces). ``tests/test_shape.py`` enforces the order.

Every name below is imported on first use, so ``import prefrontal`` stays cheap.
"""

from typing import TYPE_CHECKING

from prefrontal.clock import Clock, ManualClock, SystemClock
from prefrontal.errors import (
    BudgetExceededError,
    ConfigError,
    HandleError,
    JournalBusyError,
    JournalError,
    JournalFormatError,
    JournalFullError,
    PayloadTooLargeError,
    PolicyError,
    PrefrontalError,
    ProviderError,
    RecordError,
    RoutingError,
    SandboxLimitError,
    SandboxUnavailableError,
    SourceMissingError,
    TaintError,
    UsageError,
    WorkerError,
    WorkerTimeoutError,
    WorldError,
)
from prefrontal.exports import lazy_exports

if TYPE_CHECKING:
    from prefrontal.config import Config, load_config, parse_config
    from prefrontal.journal.base import Journal, Stored
    from prefrontal.journal.sql import SqlJournal, open_journal
    from prefrontal.policies.base import Policy
    from prefrontal.policies.llm import LlmPolicy
    from prefrontal.policies.rule import RulePolicy
    from prefrontal.runtime.costs import CostLedger, cost_ledger
    from prefrontal.runtime.inbox import InboxEntry, inbox_entries
    from prefrontal.runtime.replay import ReplayReport, replay
    from prefrontal.runtime.system import System, open_system
    from prefrontal.seam.actions import (
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
    from prefrontal.seam.events import (
        ApprovalEvent,
        AttentionEvent,
        Commission,
        DecisionEvent,
        HandOffEvent,
        InboundEvent,
        InboxItem,
        Report,
        RequestEvent,
        RoutedEvent,
        TimerCancelled,
        TimerEvent,
    )
    from prefrontal.seam.percept import Percept
    from prefrontal.seam.roster import DomainView, WorkerSpec
    from prefrontal.seam.taint import Handle, Provenance
    from prefrontal.seam.usage import Usage
    from prefrontal.seam.work import CommissionContext, Worker
    from prefrontal.workers.llm import LlmWorker
    from prefrontal.workers.tool import ToolWorker

__version__ = "0.1.0"

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "prefrontal.config": ("Config", "load_config", "parse_config"),
        "prefrontal.journal.base": ("Journal", "Stored"),
        "prefrontal.journal.sql": ("SqlJournal", "open_journal"),
        "prefrontal.policies.base": ("Policy",),
        "prefrontal.policies.llm": ("LlmPolicy",),
        "prefrontal.policies.rule": ("RulePolicy",),
        "prefrontal.runtime.costs": ("CostLedger", "cost_ledger"),
        "prefrontal.runtime.inbox": ("InboxEntry", "inbox_entries"),
        "prefrontal.runtime.replay": ("ReplayReport", "replay"),
        "prefrontal.runtime.system": ("System", "open_system"),
        "prefrontal.seam.actions": (
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
        "prefrontal.seam.events": (
            "ApprovalEvent",
            "AttentionEvent",
            "Commission",
            "DecisionEvent",
            "HandOffEvent",
            "InboundEvent",
            "InboxItem",
            "Report",
            "RequestEvent",
            "RoutedEvent",
            "TimerCancelled",
            "TimerEvent",
        ),
        "prefrontal.seam.percept": ("Percept",),
        "prefrontal.seam.roster": ("DomainView", "WorkerSpec"),
        "prefrontal.seam.taint": ("Handle", "Provenance"),
        "prefrontal.seam.usage": ("Usage",),
        "prefrontal.seam.work": ("CommissionContext", "Worker"),
        "prefrontal.workers.llm": ("LlmWorker",),
        "prefrontal.workers.tool": ("ToolWorker",),
    },
)

__all__ = [
    "ApprovalEvent",
    "AttendAction",
    "AttentionEvent",
    "BudgetExceededError",
    "Clock",
    "Commission",
    "CommissionAction",
    "CommissionContext",
    "Config",
    "ConfigError",
    "CostLedger",
    "Decision",
    "DecisionEvent",
    "DomainView",
    "EscalateAction",
    "HandOffAction",
    "HandOffEvent",
    "Handle",
    "HandleError",
    "InboundEvent",
    "InboxEntry",
    "InboxItem",
    "Journal",
    "JournalBusyError",
    "JournalError",
    "JournalFormatError",
    "JournalFullError",
    "LimitOverrides",
    "LlmPolicy",
    "LlmWorker",
    "ManualClock",
    "PayloadTooLargeError",
    "Percept",
    "Policy",
    "PolicyError",
    "PrefrontalError",
    "Provenance",
    "ProviderError",
    "RecordError",
    "RememberAction",
    "ReplayReport",
    "ReplyAction",
    "Report",
    "RequestEvent",
    "RoutedEvent",
    "RoutingError",
    "RulePolicy",
    "SandboxLimitError",
    "SandboxUnavailableError",
    "ScheduleAction",
    "SourceMissingError",
    "SqlJournal",
    "Stored",
    "System",
    "SystemClock",
    "TaintError",
    "TimerCancelled",
    "TimerEvent",
    "ToolWorker",
    "Usage",
    "UsageError",
    "WaitAction",
    "Worker",
    "WorkerError",
    "WorkerSpec",
    "WorkerTimeoutError",
    "WorldError",
    "__version__",
    "cost_ledger",
    "inbox_entries",
    "load_config",
    "open_journal",
    "open_system",
    "parse_config",
    "replay",
]
