"""Scripted models measure the prompt they actually received: UTF-8 bytes / 4."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage

from prefrontal.testing import ScriptedModel


class Note(BaseModel):
    text: str


@pytest.mark.anyio
async def test_counted_tokens_follow_the_prompt_byte_for_byte() -> None:
    model = ScriptedModel([{"text": "ok"}], input_tokens=None, output_tokens=None)
    agent: Agent[None, Note] = Agent(model, output_type=Note, instructions="Be brief.")
    short = await agent.run("a" * 400)
    long = await agent.run("a" * 4400)
    grown = long.usage.input_tokens - short.usage.input_tokens
    assert grown == 1000  # 4,000 more bytes, 4 bytes a token
    assert short.usage.input_tokens > 100  # instructions and the output tool's schema count
    assert short.usage.output_tokens == (len('{"text":"ok"}') + 3) // 4


@pytest.mark.anyio
async def test_a_responder_answers_from_the_prompt_it_is_shown() -> None:
    def echo_last(messages: Sequence[ModelMessage]) -> dict[str, str]:
        return {"text": str(messages[-1].parts[-1].content)[::-1]}  # type: ignore[union-attr]

    model = ScriptedModel([echo_last])
    agent: Agent[None, Note] = Agent(model, output_type=Note)
    assert (await agent.run("abc")).output.text == "cba"
    assert (await agent.run("xyz")).output.text == "zyx"
    assert model.calls == 2


def test_fixed_counts_stay_the_default() -> None:
    model = ScriptedModel(["x"])
    assert (model.input_tokens, model.output_tokens) == (100, 20)
