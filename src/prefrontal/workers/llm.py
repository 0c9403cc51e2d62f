"""LlmWorker: a cheap-tier model with instructions and an output type.

A fresh pydantic-ai agent is built for every commission, with no message history: the
worker sees its commission's inputs and constraints and nothing else.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter
from pydantic_ai import Agent, UnexpectedModelBehavior, UsageLimitExceeded, capture_run_messages
from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.models import Model

from prefrontal.errors import WorkerError
from prefrontal.models.usage import provider_error, usage_of
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
        agent: Agent[None, Any] = Agent(
            self.model,
            output_type=self.output_type,
            instructions=self._instructions(context),
            retries={"output": self.retries},
        )
        prompt = json.dumps(inputs, ensure_ascii=False, default=str)
        settings: dict[str, Any] = {}
        if context.max_tokens is not None:
            settings["max_tokens"] = context.max_tokens
        with capture_run_messages() as messages:
            try:
                result = await agent.run(prompt, model_settings=settings or None)  # type: ignore[arg-type]
            except ModelAPIError as error:
                context.record(*usage_of(messages, tier=self.tier))
                raise provider_error(error, tier=self.tier) from None
            except UnexpectedModelBehavior as error:
                context.record(*usage_of(messages, tier=self.tier))
                raise WorkerError(
                    f"worker {self.name!r}: the model's output stayed invalid after "
                    f"{self.retries} retries: {error.message}; cause: {error.__cause__}"
                ) from None
            except UsageLimitExceeded as error:
                context.record(*usage_of(messages, tier=self.tier))
                raise WorkerError(f"worker {self.name!r}: {error}") from None
        context.record(*usage_of(result.all_messages(), tier=self.tier))
        output = self._output.dump_python(result.output, mode="json")
        return WorkerResult(output=output)
