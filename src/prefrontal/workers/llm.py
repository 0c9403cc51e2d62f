"""LlmWorker: a cheap-tier model with instructions and an output type.

The worker sees its commission's inputs and constraints and nothing else: each run sends
them alone, with no message history. Each model request sends ``max_tokens`` (the
commission's limit) and ends within the tier's ``timeout_s``; every attempt's usage is
recorded, a timed-out or cancelled one too. A failure names the tier, model and URL; the
model's last output goes with the report as untrusted evidence, never into its message.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter
from pydantic_ai.models import Model

from prefrontal.errors import PrefrontalError, ProviderError, WorkerError
from prefrontal.models.run import ModelCaller, ModelFailure
from prefrontal.seam.roster import WorkerSpec
from prefrontal.seam.work import CommissionContext, WorkerResult


class LlmWorker:
    def __init__(
        self,
        name: str,
        model: Model,
        *,
        tier: str,
        instructions: str,
        output_type: type[Any] = str,
        description: str = "",
        retries: int = 1,
    ) -> None:
        self.name = name
        self.model = model
        self.tier = tier
        self.instructions = instructions
        self.output_type = output_type
        self.retries = retries
        self._output: TypeAdapter[Any] = TypeAdapter(output_type)
        self._caller = ModelCaller(
            model, tier=tier, output_type=output_type, output_retries=retries
        )
        self._spec = WorkerSpec(
            name=name,
            kind="llm",
            description=description or instructions.split("\n")[0][:200],
            input_schema={"type": "object", "additionalProperties": True},
            output_schema=self._output.json_schema(),
        )

    @property
    def spec(self) -> WorkerSpec:
        return self._spec

    def _instructions(self, context: CommissionContext) -> str:
        if not context.constraints:
            return self.instructions
        lines = "\n".join(f"- {c}" for c in context.constraints)
        return f"{self.instructions}\n\nConstraints (follow exactly):\n{lines}"

    async def run(self, inputs: dict[str, Any], context: CommissionContext) -> WorkerResult:
        prompt = json.dumps(inputs, ensure_ascii=False, default=str)
        outcome = await self._caller.run(
            prompt,
            instructions=self._instructions(context),
            max_tokens=context.max_tokens,
            meter=context.record,
        )
        if isinstance(outcome, ModelFailure):
            context.keep(*outcome.evidence)
            raise failure_error(f"worker {self.name!r}", outcome)
        output = self._output.dump_python(outcome.output, mode="json")
        return WorkerResult(output=output)


def failure_error(who: str, failure: ModelFailure) -> PrefrontalError:
    """The error a worker raises for a failed model call: provider failures stay retryable."""
    message = f"{who}: {failure.message}"
    if failure.kind in ("provider", "timeout"):
        return ProviderError(message, retryable=failure.retryable)
    return WorkerError(message)
