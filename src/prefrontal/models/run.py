"""The one place that runs a model: a pydantic-ai agent, its usage per attempt, its failures.

Used by the LLM policy, the LLM worker (and so the code worker's writer) and the router's
classifier. Invariants:

- every request sends ``max_tokens`` and ends within the tier's ``timeout_s`` (pydantic-ai's
  ``request_timeout``, and a cancel scope over the whole run as a second bound);
- the provider client never retries; ``provider_retries`` here are the only retries;
- every attempt is metered, one ``Usage`` per model response, and one with no tokens for a
  request that got no response (refused, HTTP error, timed out, cancelled);
- a failure is data (``ModelFailure``): its message names the tier, model and URL and quotes
  nothing the model or the server wrote; their text goes, bounded and marked untrusted, into
  ``evidence`` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import anyio
from pydantic import TypeAdapter
from pydantic_ai import (
    Agent,
    NativeOutput,
    PromptedOutput,
    ToolOutput,
    UnexpectedModelBehavior,
    UsageLimitExceeded,
    capture_run_messages,
)
from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelHTTPError,
    ModelRequestTimeout,
    ModelTimeoutError,
)
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models import Model
from pydantic_ai.settings import ModelSettings

from prefrontal.models.calling import OUTPUT_TOOL, CallSettings, require_tags, settings_of
from prefrontal.models.usage import usage_of
from prefrontal.seam.usage import Usage

T = TypeVar("T")
FailureKind = Literal["provider", "timeout", "output", "limit"]
Meter = Callable[[Usage], None]

_SHOWN = 500  # characters of the model's or the server's text kept as evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRun(Generic[T]):
    """A validated output, and the usage of every attempt that led to it."""

    output: T
    usage: tuple[Usage, ...]
    attempts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelFailure:
    """Why a call gave no valid output. ``message`` is safe to show; ``evidence`` is untrusted."""

    kind: FailureKind
    message: str
    retryable: bool
    evidence: tuple[str, ...]
    usage: tuple[Usage, ...]
    attempts: int


def output_spec(output_type: type[Any], structured: str) -> Any:
    """The pydantic-ai output spec that forces ``output_type`` the way the tier says."""
    if output_type is str:
        return str  # plain text needs no forcing
    if structured == "json_schema":
        return NativeOutput(output_type)
    if structured in ("json_object", "prompted"):
        return PromptedOutput(output_type)
    return ToolOutput(output_type, name=OUTPUT_TOOL)


class ModelCaller(Generic[T]):
    """Runs one tier's model for one output type. Built once: building derives the schema."""

    def __init__(
        self,
        model: Model,
        *,
        tier: str,
        output_type: type[T],
        instructions: str = "",
        output_retries: int = 1,
        provider_retries: int = 0,
        backoff_s: float = 0.05,
    ) -> None:
        self.model = model
        self.tier = tier
        self.calling: CallSettings = settings_of(model)
        self.output_retries = output_retries
        self.provider_retries = provider_retries
        self.backoff_s = backoff_s
        self._agent: Agent[None, T] = Agent(
            model,
            output_type=output_spec(output_type, self.calling.structured),
            instructions=instructions or None,
            retries={"output": output_retries},
        )
        self._format: dict[str, Any] | None = None
        constrained = self.calling.schema_in_format and self.calling.structured == "json_object"
        if constrained and output_type is not str:
            schema = require_tags(TypeAdapter(output_type).json_schema())
            self._format = {"type": "json_object", "schema": schema}

    @property
    def where(self) -> str:
        """``tier 'local' (model 'smollm2' at http://127.0.0.1:8080/v1)``."""
        at = f" at {self.calling.url}" if self.calling.url else ""
        return f"tier {self.tier!r} (model {self.model.model_name!r}{at})"

    @property
    def limit_s(self) -> float:
        """The longest a whole call may take: every request of it at its time limit."""
        requests = (self.output_retries + 1) * (self.provider_retries + 1)
        # A second bound behind each request's own: a little slack so that one fires first.
        slack = 1.0 + self.backoff_s * 2**self.provider_retries
        return self.calling.timeout_s * requests + slack

    def _settings(self, max_tokens: int | None) -> ModelSettings:
        settings = ModelSettings(
            max_tokens=max_tokens or self.calling.max_tokens,
            request_timeout=self.calling.timeout_s,
            timeout=self.calling.timeout_s,
            max_retries=0,
        )
        extra: dict[str, Any] = {}
        if self.calling.named_tool and self.calling.structured == "tool":
            # pydantic-ai sends "required" for a lone output tool; name it instead.
            extra["tool_choice"] = {"type": "function", "function": {"name": OUTPUT_TOOL}}
        if self._format is not None:
            # pydantic-ai sends a bare json_object; the server constrains output to a schema.
            extra["response_format"] = self._format
        if extra:
            settings["extra_body"] = extra
        return settings

    async def run(
        self,
        prompt: str,
        *,
        instructions: str | None = None,
        max_tokens: int | None = None,
        meter: Meter | None = None,
        within_s: float | None = None,
    ) -> ModelRun[T] | ModelFailure:
        """Call the model until a valid output, a terminal failure or the retries run out.

        The whole call ends within ``limit_s``, or ``within_s`` when that is shorter (a
        caller's own deadline): it then fails as a time-out with every attempt's usage.
        ``meter`` is told of every attempt's usage as soon as it is known, also when the
        caller's own deadline cancels the call midway.
        """
        limit_s = self.limit_s if within_s is None else min(self.limit_s, within_s)
        usage: list[Usage] = []

        def metered(found: Sequence[Usage]) -> None:
            usage.extend(found)
            for item in found:
                if meter is not None:
                    meter(item)

        outcome: ModelRun[T] | ModelFailure | None = None
        attempt = 0
        try:
            with anyio.fail_after(limit_s):
                while outcome is None or _again(outcome, attempt, self.provider_retries):
                    if attempt:
                        await anyio.sleep(self.backoff_s * 2 ** (attempt - 1))
                    attempt += 1
                    outcome = await self._attempt(prompt, instructions, max_tokens, metered)
        except TimeoutError:
            limit = f"{limit_s:g}"
            outcome = _failure("timeout", f"{self.where} did not answer within {limit} s", True, ())
        return _with(outcome, tuple(usage), attempt, tell=self.provider_retries > 0)

    async def _attempt(
        self,
        prompt: str,
        instructions: str | None,
        max_tokens: int | None,
        metered: Callable[[Sequence[Usage]], None],
    ) -> ModelRun[T] | ModelFailure:
        answered = False
        with capture_run_messages() as messages:
            try:
                result = await self._agent.run(
                    prompt, instructions=instructions, model_settings=self._settings(max_tokens)
                )
            except anyio.get_cancelled_exc_class():
                metered([*self._usage(messages), self._unanswered()])
                raise
            except (ModelAPIError, UnexpectedModelBehavior, UsageLimitExceeded) as error:
                answered = not isinstance(error, ModelAPIError)
                metered([*self._usage(messages), *(() if answered else [self._unanswered()])])
                return self.failure(error, messages)
        metered(self._usage(result.all_messages()))
        return ModelRun(output=result.output, usage=(), attempts=1)

    def _usage(self, messages: Sequence[ModelMessage]) -> list[Usage]:
        return list(usage_of(messages, tier=self.tier, calling=self.calling))

    def _unanswered(self) -> Usage:
        """A request that got no response: counted, with no tokens, priced only if configured."""
        return Usage(
            tier=self.tier,
            model=self.model.model_name,
            provider=self.model.system,
            requests=1,
            cost_usd=self.calling.price(0),
        )

    def failure(self, error: Exception, messages: Sequence[ModelMessage]) -> ModelFailure:
        """Map a pydantic-ai error to a failure naming the tier (httpx's ``map_exceptions``)."""
        last = last_text(messages)
        evidence = (f"the model's last output (untrusted): {json.dumps(last)}",) if last else ()
        if isinstance(error, ModelRequestTimeout | ModelTimeoutError):
            limit = f"{self.calling.timeout_s:g}"
            return _failure(
                "timeout", f"{self.where} did not answer within {limit} s", True, evidence
            )
        if isinstance(error, ModelHTTPError):
            body = json.dumps(str(error.body)[:_SHOWN])
            status = error.status_code
            return _failure(
                "provider",
                f"{self.where} answered HTTP {status}",
                status in (408, 409, 429) or status >= 500,
                (*evidence, f"the server's answer (untrusted): {body}"),
            )
        if isinstance(error, ModelAPIError):
            cause = type(error.__cause__).__name__ if error.__cause__ else type(error).__name__
            return _failure(
                "provider",
                f"{self.where} could not be reached: {error.message} ({cause})",
                True,
                evidence,
            )
        if isinstance(error, UsageLimitExceeded):
            return _failure("limit", f"{self.where}: {error}", False, evidence)
        reason = error.message if isinstance(error, UnexpectedModelBehavior) else str(error)
        if error.__cause__ is not None:  # the validation error quotes the model: evidence
            why = json.dumps(str(error.__cause__)[:_SHOWN])
            evidence = (*evidence, f"why it was refused (untrusted): {why}")
        return _failure(
            "output",
            f"{self.where}: the output stayed invalid after {self.output_retries} "
            f"retries ({_mode_hint(reason, self.calling)})",
            False,
            evidence,
        )


def _again(outcome: ModelRun[Any] | ModelFailure, attempt: int, retries: int) -> bool:
    return isinstance(outcome, ModelFailure) and outcome.retryable and attempt <= retries


def _mode_hint(reason: str, calling: CallSettings) -> str:
    return f"{reason[:200]}; structured output mode {calling.structured!r}"


def _failure(
    kind: FailureKind, message: str, retryable: bool, evidence: tuple[str, ...]
) -> ModelFailure:
    return ModelFailure(
        kind=kind, message=message, retryable=retryable, evidence=evidence, usage=(), attempts=1
    )


def _with(
    outcome: ModelRun[T] | ModelFailure, usage: tuple[Usage, ...], attempts: int, *, tell: bool
) -> Any:
    if isinstance(outcome, ModelRun):
        return ModelRun(output=outcome.output, usage=usage, attempts=attempts)
    plural = "s" if attempts > 1 else ""
    told = f" (after {attempts} attempt{plural})" if tell and outcome.kind != "output" else ""
    return ModelFailure(
        kind=outcome.kind,
        message=f"{outcome.message}{told}",
        retryable=outcome.retryable,
        evidence=outcome.evidence,
        usage=usage,
        attempts=attempts,
    )


def last_text(messages: Sequence[ModelMessage]) -> str:
    """What the model last said: its text, or its tool call's arguments; bounded."""
    for message in reversed(messages):
        if isinstance(message, ModelResponse):
            texts: list[str] = []
            for part in message.parts:
                if isinstance(part, TextPart):
                    texts.append(part.content)
                elif isinstance(part, ToolCallPart):
                    texts.append(part.args if isinstance(part.args, str) else json.dumps(part.args))
            return "\n".join(texts)[:_SHOWN]
    return ""
