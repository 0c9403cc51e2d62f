"""Policies: what decides for an orchestrator.

Owns: the ``Policy`` protocol, ``RulePolicy`` (a plain Python callable, no model) and
``LlmPolicy`` (a capable-tier model whose structured output is the decision). Both read a
``DomainView`` and the current event and return the same typed ``Decision``. Imports the seam,
errors and models; never the runtime, workers or senses.
"""

from typing import TYPE_CHECKING, Any

from prefrontal.policies.base import Policy, PolicyResult
from prefrontal.policies.rule import RulePolicy

if TYPE_CHECKING:
    from prefrontal.policies.llm import LlmPolicy


def __getattr__(name: str) -> Any:
    # LlmPolicy pulls in pydantic-ai; rule-only systems start without it.
    if name == "LlmPolicy":
        from prefrontal.policies.llm import LlmPolicy

        return LlmPolicy
    raise AttributeError(f"module 'prefrontal.policies' has no attribute {name!r}")


__all__ = ["LlmPolicy", "Policy", "PolicyResult", "RulePolicy"]
