"""LlmPolicy: a capable-tier model choosing typed actions as its structured output."""

from __future__ import annotations

from pydantic_ai.models import Model

from prefrontal.models.run import ModelCaller, ModelFailure
from prefrontal.policies.base import PolicyResult
from prefrontal.seam.actions import Decision, EscalateAction
from prefrontal.seam.bounds import Bounds
from prefrontal.seam.events import InboundEvent
from prefrontal.seam.roster import DomainView

_ACTION_GUIDE = """\
You are the orchestrator of one domain. You never do domain work yourself: you act only
through the decision's actions. Commission a worker from the roster for any reading,
computing or looking up; reply or escalate to the principal; remember a short note; hand off
to another domain; schedule a timer; or wait. Carry the principal's constraints verbatim in
a commission's constraints."""

_EXPECTED = (
    'Expected a Decision: {"actions": [{"kind": "reply", "text": "..."}], "rationale": "..."}.'
)


class LlmPolicy:
    """Builds the decision with a pydantic-ai agent whose output type is ``Decision``.

    Malformed output is sent back to the model (``retries`` times) with the validation error;
    if it stays malformed the result is an escalation naming the tier, model and URL, with
    the model's last output as untrusted evidence. Retryable provider errors (429, 5xx,
    time-outs, refused connections) are retried with backoff ``provider_retries`` times. Each
    model request sends ``max_tokens`` (the tier's unless given) and ends within the tier's
    ``timeout_s``. Given the domain's ``decision_timeout_s``, the whole call ends a little
    before it, as a typed time-out with the usage of every attempt, instead of being stopped
    by the orchestrator with its usage unknown.
    """

    deterministic = False

    def __init__(
        self,
        model: Model,
        *,
        tier: str,
        instructions: str = "",
        retries: int = 2,
        provider_retries: int = 2,
        backoff_s: float = 0.05,
        max_tokens: int | None = None,
        decision_timeout_s: float | None = None,
    ) -> None:
        self.model = model
        self.tier = tier
        self.name = f"llm:{tier}"
        self.instructions = f"{_ACTION_GUIDE}\n\n{instructions}".strip()
        self.retries = retries
        self.provider_retries = provider_retries
        self.max_tokens = max_tokens
        self.within_s: float | None = None
        if decision_timeout_s is not None:
            self.within_s = decision_timeout_s - min(1.0, decision_timeout_s / 10)
        self._caller = ModelCaller(
            model,
            tier=tier,
            output_type=Decision,
            instructions=self.instructions,
            output_retries=retries,
            provider_retries=provider_retries,
            backoff_s=backoff_s,
        )

    @property
    def limit_s(self) -> float:
        """The longest one decision's model calls may take, retries included."""
        return self._caller.limit_s

    async def decide(self, state: DomainView, event: InboundEvent) -> PolicyResult:
        outcome = await self._caller.run(
            state.context, max_tokens=self.max_tokens, within_s=self.within_s
        )
        if isinstance(outcome, ModelFailure):
            return _failed(f"policy {self.name!r}: {outcome.message}", outcome)
        return PolicyResult(decision=outcome.output, usage=outcome.usage)


def _failed(detail: str, failure: ModelFailure) -> PolicyResult:
    if failure.kind == "output":
        detail = f"{detail}. {_EXPECTED}"
    escalation = EscalateAction(
        text=f"[policy error] {detail}"[: Bounds.TEXT],
        evidence=tuple(e[: Bounds.NOTE] for e in failure.evidence),
    )
    return PolicyResult(decision=Decision.of(escalation), usage=failure.usage, failure=detail)
