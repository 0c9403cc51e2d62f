"""Policies: what decides for an orchestrator.

Owns: the ``Policy`` protocol, ``RulePolicy`` (a plain Python callable, no model) and
``LlmPolicy`` (a capable-tier model whose structured output is the decision). Both read a
``DomainView`` and the current event and return the same typed ``Decision``. Imports the seam,
errors and models; never the runtime, workers or senses.
"""

from prefrontal.policies.base import Policy, PolicyResult
from prefrontal.policies.llm import LlmPolicy
from prefrontal.policies.rule import RulePolicy

__all__ = ["LlmPolicy", "Policy", "PolicyResult", "RulePolicy"]
