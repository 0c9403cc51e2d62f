"""LlmPolicy: a capable-tier model choosing typed actions as its structured output."""

from __future__ import annotations

import anyio
from pydantic_ai import Agent, UnexpectedModelBehavior, capture_run_messages
from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models import Model

from prefrontal.models.usage import provider_error, usage_of
from prefrontal.policies.base import PolicyResult
from prefrontal.seam.actions import Decision, EscalateAction
from prefrontal.seam.bounds import Bounds
from prefrontal.seam.events import InboundEvent
from prefrontal.seam.roster import DomainView
from prefrontal.seam.usage import Usage

_ACTION_GUIDE = """\
You are the orchestrator of one domain. You never do domain work yourself: you act only
through the decision's actions. Commission a worker from the roster for any reading,
computing or looking up; reply or escalate to the principal; remember a short note; hand off
to another domain; schedule a timer; or wait. Carry the principal's constraints verbatim in
a commission's constraints."""


class LlmPolicy:
    """Builds the decision with a pydantic-ai agent whose output type is ``Decision``.

    Malformed output is sent back to the model (``retries`` times) with the validation error;
    if it stays malformed the result is an escalation quoting the bad fragment. Retryable provider
    errors (429, 5xx) are retried with backoff ``provider_retries`` times.
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
    ) -> None:
        self.model = model
        self.tier = tier
        self.name = f"llm:{tier}"
        self.instructions = f"{_ACTION_GUIDE}\n\n{instructions}".strip()
        self.retries = retries
        self.provider_retries = provider_retries
        self.backoff_s = backoff_s
        # Built once: an agent keeps no state between runs, and building one derives the
        # Decision's JSON schema (about 15 ms), which would otherwise be paid per decision.
        self._agent: Agent[None, Decision] = Agent(
            self.model,
            output_type=Decision,
            instructions=self.instructions,
            retries={"output": self.retries},
        )

    async def decide(self, state: DomainView, event: InboundEvent) -> PolicyResult:
        agent = self._agent
        usage: list[Usage] = []
        for attempt in range(self.provider_retries + 1):
            with capture_run_messages() as messages:
                try:
                    result = await agent.run(state.context)
                except ModelAPIError as error:
                    usage.extend(usage_of(messages, tier=self.tier))
                    failure = provider_error(error, tier=self.tier)
                    if not failure.retryable or attempt == self.provider_retries:
                        return _failed(
                            f"policy {self.name!r}: {failure} (after {attempt + 1} attempts)",
                            usage,
                        )
                    await anyio.sleep(self.backoff_s * 2**attempt)
                    continue
                except UnexpectedModelBehavior as error:
                    usage.extend(usage_of(messages, tier=self.tier))
                    return _failed(
                        f"policy {self.name!r}: the model's decision stayed malformed after "
                        f"{self.retries} retries ({error.message}); last output: "
                        f"{_last_fragment(messages)!r}. Expected a Decision: "
                        '{"actions": [{"kind": "reply", "text": "..."}], "rationale": "..."}.',
                        usage,
                    )
            usage.extend(usage_of(result.all_messages(), tier=self.tier))
            return PolicyResult(decision=result.output, usage=tuple(usage))
        raise AssertionError("unreachable")  # pragma: no cover


def _failed(detail: str, usage: list[Usage]) -> PolicyResult:
    escalation = EscalateAction(text=f"[policy error] {detail}"[: Bounds.TEXT])
    return PolicyResult(decision=Decision.of(escalation), usage=tuple(usage), failure=detail)


def _last_fragment(messages: list[ModelMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, ModelResponse):
            for part in message.parts:
                if isinstance(part, ToolCallPart):
                    args = part.args if isinstance(part.args, str) else str(part.args)
                    return args[:300]
            return str(message.parts)[:300]
    return ""
