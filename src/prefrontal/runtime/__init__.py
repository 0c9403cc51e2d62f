"""The runtime: system assembly, the orchestrator loop, router, inbox, executor, guards.

Owns: ``open_system`` and ``System`` (the one execution path), ``Orchestrator``, ``Router``,
``Inbox``, ``Executor``, the journal ``Writer``, guards, the domain state fold, costs and
replay. Imports the tiers (policies, workers, senses), the sandbox, the storage floor (journal,
models, config), the seam and the ground floor; never the fakes of ``prefrontal.testing``.
Only the applications above it (the public facade, the household example, the ceilings
benchmark) and the interfaces (CLI, HTTP) import it. ``tests/test_shape.py`` enforces this.
"""

from typing import TYPE_CHECKING

from prefrontal.exports import lazy_exports

if TYPE_CHECKING:
    from prefrontal.runtime.costs import CostLedger, cost_ledger
    from prefrontal.runtime.inbox import Inbox, InboxEntry, inbox_entries
    from prefrontal.runtime.replay import ReplayReport, replay
    from prefrontal.runtime.system import System, open_system

# Imported on first use: a command that reads the inbox never loads the whole loop.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "prefrontal.runtime.costs": ("CostLedger", "cost_ledger"),
        "prefrontal.runtime.inbox": ("Inbox", "InboxEntry", "inbox_entries"),
        "prefrontal.runtime.replay": ("ReplayReport", "replay"),
        "prefrontal.runtime.system": ("System", "open_system"),
    },
)

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
