"""Fakes for testing systems built on Prefrontal, shipped for users too.

- ``ScriptedModel``: a pydantic-ai ``FunctionModel`` that answers from a script, with exact
  token counts under a real model name, so cost figures are exact and offline; the counts
  are fixed, or measured from the real prompt (``prompt_tokens``: UTF-8 bytes / 4).
- ``FakeClock``: a clock that moves only when told to.
- ``MemoryJournal``: the real SQL journal on an in-memory SQLite database.
- ``echo``/``echo_worker``: a tool worker that returns its input.
- ``SyntheticSense``: a sense that emits scripted observations, and can crash once.
- ``forbid_model_requests``: pydantic-ai's switch that makes any real model call raise.
- ``load_script``: a Python file loaded as a module by its path (the benchmark scripts,
  which are not a package: a sibling import fails when a test loads one by path).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
from pydantic_ai import ModelResponse, RequestUsage, TextPart, ToolCallPart
from pydantic_ai.messages import (
    ModelMessage,
    ModelResponsePart,
    SystemPromptPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from prefrontal.clock import ManualClock
from prefrontal.journal.sql import SqlJournal
from prefrontal.runtime.context import estimate_tokens
from prefrontal.seam.work import CommissionContext
from prefrontal.senses.base import Emit, Observation, check_settings
from prefrontal.workers.tool import ToolWorker

FakeClock = ManualClock

Answer = dict[str, Any] | str | ToolCallPart
Responder = Callable[[Sequence[ModelMessage]], Answer]
Step = Answer | BaseException | Responder


def _part_text(part: Any) -> str:
    if isinstance(part, UserPromptPart | SystemPromptPart):
        return part.content if isinstance(part.content, str) else str(part.content)
    if isinstance(part, ToolReturnPart):
        return part.model_response_str()
    if isinstance(part, ToolCallPart):
        return part.args_as_json_str()
    content = getattr(part, "content", None)  # text answers, retry feedback
    return content if isinstance(content, str) else str(part)


def prompt_tokens(messages: Sequence[ModelMessage], info: AgentInfo) -> int:
    """Tokens of everything a model request sends, estimated as UTF-8 bytes / 4.

    Counted: the instructions, every part of every message (prompts, earlier answers, tool
    returns, retry prompts) and the tool definitions (name, description, JSON schema), the
    way a provider bills them. The same estimate as the orchestrator's context measure.
    """
    texts = [info.instructions or ""]
    for tool in [*info.function_tools, *info.output_tools]:
        schema = {
            "name": tool.name,
            "description": tool.description or "",
            "parameters": tool.parameters_json_schema,
        }
        texts.append(json.dumps(schema, ensure_ascii=False))
    texts.extend(_part_text(part) for message in messages for part in message.parts)
    return estimate_tokens("\n".join(texts))


def response_tokens(parts: Sequence[ModelResponsePart]) -> int:
    """Tokens of a response's text and tool-call arguments, as UTF-8 bytes / 4."""
    return estimate_tokens("\n".join(_part_text(part) for part in parts))


class ScriptedModel(FunctionModel):
    """Answers each model request with the next step of ``script``.

    A ``dict`` becomes a call of the output tool with those arguments; a ``str`` becomes the
    output tool's raw argument text (use it for malformed output) or plain text when the agent
    has no output tool; an exception is raised (e.g. ``ModelHTTPError(429, ...)``); a
    callable (a responder) is called with the request's messages and its answer is used, so
    a script can answer each event it is shown with that event's fixed reply; a
    ``ToolCallPart`` is sent as it is (to pick one of several output tools). When the
    script runs out the last step repeats. Every response reports ``input_tokens`` and
    ``output_tokens`` exactly, under ``model_name`` and ``provider``, so genai-prices can
    price it; ``None`` measures them instead from the request actually sent
    (``prompt_tokens``) and the response (``response_tokens``).
    """

    def __init__(
        self,
        script: Sequence[Step],
        *,
        model_name: str = "claude-haiku-4-5",
        provider: str = "anthropic",
        input_tokens: int | None = 100,
        output_tokens: int | None = 20,
    ) -> None:
        if not script:
            raise ValueError("ScriptedModel needs at least one step")
        self.script = list(script)
        self.provider_label = provider
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.calls = 0
        self.prompts: list[list[ModelMessage]] = []
        super().__init__(self._answer, model_name=model_name)

    def _answer(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        step = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        self.prompts.append(list(messages))
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            step = step(messages)
        if isinstance(step, ToolCallPart):
            part: TextPart | ToolCallPart = step
        elif info.output_tools:
            part = ToolCallPart(info.output_tools[0].name, step)
        else:
            part = TextPart(step if isinstance(step, str) else json.dumps(step))
        inputs = self.input_tokens
        outputs = self.output_tokens
        return ModelResponse(
            parts=[part],
            usage=RequestUsage(
                input_tokens=prompt_tokens(messages, info) if inputs is None else inputs,
                output_tokens=response_tokens([part]) if outputs is None else outputs,
            ),
            provider_name=self.provider_label,
        )


class MemoryJournal(SqlJournal):
    """The SQL journal on a private in-memory SQLite database."""

    def __init__(self) -> None:
        super().__init__("sqlite://")


def echo(text: str, context: CommissionContext) -> dict[str, str]:
    """Return the input text and the idempotency key it was done under."""
    return {"text": text, "key": context.idempotency_key}


def echo_worker(name: str = "echo") -> ToolWorker:
    return ToolWorker(name, echo, description="returns its input")


class SyntheticSense:
    """A sense that emits a scripted list of observations.

    ``fail_at`` makes it raise once, just before that index (a crash the host must survive);
    ``pace_s`` waits between observations, as a live stream would;
    after a restart it continues where it stopped. ``attend`` records the settings it got
    and, with ``min_confidence``, filters what it emits from then on.
    """

    version = "synthetic-1"

    def __init__(
        self,
        name: str,
        observations: Sequence[Observation],
        *,
        fail_at: int | None = None,
        pace_s: float = 0.0,
    ) -> None:
        self.pace_s = pace_s
        self.name = name
        self.observations = list(observations)
        self.fail_at = fail_at
        self.position = 0
        self.attended: list[dict[str, Any]] = []
        self.min_confidence = 0.0

    async def run(self, emit: Emit) -> None:
        while self.position < len(self.observations):
            if self.position == self.fail_at:
                self.fail_at = None
                raise RuntimeError(f"synthetic failure at observation {self.position}")
            observation = self.observations[self.position]
            self.position += 1
            if observation.confidence >= self.min_confidence:
                await emit(observation)
            await anyio.sleep(self.pace_s)

    def resume(self, position_s: float) -> None:
        while (
            self.position < len(self.observations)
            and self.observations[self.position].span[1] <= position_s
        ):
            self.position += 1

    def attend(self, settings: Mapping[str, Any]) -> list[str]:
        self.attended.append(dict(settings))
        check_settings(self.name, settings, ("min_confidence",))
        self.min_confidence = float(settings.get("min_confidence", self.min_confidence))
        return [f"min_confidence {self.min_confidence:g}"]


def forbid_model_requests() -> None:
    """Make any request to a real model provider raise (scripted models still work)."""
    import pydantic_ai.models

    pydantic_ai.models.ALLOW_MODEL_REQUESTS = False


def load_script(path: Path, name: str | None = None) -> ModuleType:
    """The Python file at ``path`` as a module (``bench_<stem>`` unless ``name`` is given),
    loaded once: a second call returns the module the first one registered."""
    name = name or f"bench_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no Python script at {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


__all__ = [
    "FakeClock",
    "MemoryJournal",
    "ScriptedModel",
    "SyntheticSense",
    "echo",
    "echo_worker",
    "forbid_model_requests",
    "load_script",
    "prompt_tokens",
    "response_tokens",
]
