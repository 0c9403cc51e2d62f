"""The runtime: system assembly, the orchestrator loop, router, inbox, executor, guards.

Owns: ``open_system`` and ``System`` (the one execution path), ``Orchestrator``, ``Router``,
``Inbox``, ``Executor``, the journal ``Writer``, guards, the domain state fold, costs and
replay. Imports tiers (policies, workers), the seam and foundations; nothing imports it but
the interfaces (CLI) and the package's public API.
"""

from prefrontal.runtime.costs import CostLedger, cost_ledger
from prefrontal.runtime.inbox import Inbox, InboxEntry, inbox_entries
from prefrontal.runtime.replay import ReplayReport, replay
from prefrontal.runtime.system import System, open_system

__all__ = [
    "CostLedger",
    "Inbox",
    "InboxEntry",
    "ReplayReport",
    "System",
    "cost_ledger",
    "inbox_entries",
    "open_system",
    "replay",
]
