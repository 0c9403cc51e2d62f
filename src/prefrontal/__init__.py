"""Prefrontal: a runtime for personal multi-agent systems.

A few domain-owning orchestrators (persistent state, a serial decision loop, capable models
or plain rules) over many stateless workers (bounded, typed commissions on cheap models or
plain code), with a typed, bounded, measured seam between them and one journal underneath.

Packages, from the bottom up (imports only point down): ``errors``, ``clock``, ``config``,
``journal``, ``models`` (foundations); ``seam`` (records); ``policies`` and ``workers``
(tiers); ``runtime`` (assembly and the loop); ``cli`` (interface). ``prefrontal.testing``
ships the fakes.
"""

from typing import TYPE_CHECKING, Any

from prefrontal.clock import Clock, ManualClock, SystemClock
from prefrontal.config import Config, load_config, parse_config
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
from prefrontal.journal import Journal, SqlJournal, Stored, open_journal
from prefrontal.policies import Policy, RulePolicy
from prefrontal.runtime import (
    CostLedger,
    InboxEntry,
    ReplayReport,
    System,
    cost_ledger,
    inbox_entries,
    open_system,
    replay,
)
from prefrontal.seam import (
    ApprovalEvent,
    AttendAction,
    AttentionEvent,
    Commission,
    CommissionAction,
    Decision,
    DecisionEvent,
    DomainView,
    EscalateAction,
    HandOffAction,
    HandOffEvent,
    InboundEvent,
    InboxItem,
    LimitOverrides,
    Percept,
    RememberAction,
    ReplyAction,
    Report,
    RequestEvent,
    RoutedEvent,
    ScheduleAction,
    TimerCancelled,
    TimerEvent,
    Usage,
    WaitAction,
    WorkerSpec,
)
from prefrontal.seam.taint import Handle, Provenance
from prefrontal.workers import CommissionContext, ToolWorker, Worker

if TYPE_CHECKING:
    from prefrontal.policies.llm import LlmPolicy
    from prefrontal.workers.llm import LlmWorker

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The LLM tier loads pydantic-ai; systems of rules and tools start without it.
    if name == "LlmPolicy":
        from prefrontal.policies.llm import LlmPolicy

        return LlmPolicy
    if name == "LlmWorker":
        from prefrontal.workers.llm import LlmWorker

        return LlmWorker
    raise AttributeError(f"module 'prefrontal' has no attribute {name!r}")


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
