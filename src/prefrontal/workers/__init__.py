"""Workers: stateless executors of one kind of commission, typed in and typed out.

Owns the worker kinds: ``ToolWorker`` (a typed Python function), ``LlmWorker`` (a cheap-tier
model, fresh for each commission), the code worker (``workers.code``: a cheap-tier model writes a
program that the sandbox runs) and the exact tool functions (``workers.exact``). The contract
they implement (``Worker``, ``CommissionContext``, ``WorkerResult``) is seam
(``prefrontal.seam.work``) and re-exported here. Imports the seam, errors, config, models and
the sandbox only; never the runtime, policies or senses. A worker sees its commission and
nothing else: no history, no other domain, no orchestrator state.
"""

from typing import TYPE_CHECKING, Any

from prefrontal.seam.roster import WorkerSpec
from prefrontal.seam.work import CommissionContext, Worker, WorkerResult
from prefrontal.workers.tool import ToolWorker

if TYPE_CHECKING:
    from prefrontal.workers.llm import LlmWorker


def __getattr__(name: str) -> Any:
    # LlmWorker pulls in pydantic-ai; tool-only systems start without it.
    if name == "LlmWorker":
        from prefrontal.workers.llm import LlmWorker

        return LlmWorker
    raise AttributeError(f"module 'prefrontal.workers' has no attribute {name!r}")


__all__ = [
    "CommissionContext",
    "LlmWorker",
    "ToolWorker",
    "Worker",
    "WorkerResult",
    "WorkerSpec",
]
