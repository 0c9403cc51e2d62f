"""Workers: typed in and typed out, metered, and blind to everything but their commission."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Literal

import anyio
import genai_prices
import pytest
from pydantic import BaseModel
from pydantic_ai import ModelRequest, ModelResponse, UserPromptPart
from pydantic_ai.exceptions import ModelHTTPError

from prefrontal import (
    CommissionContext,
    LlmWorker,
    ProviderError,
    RecordError,
    ToolWorker,
    Usage,
    WorkerError,
)
from prefrontal.testing import ScriptedModel, echo_worker

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def context(worker: str = "w", **fields: object) -> CommissionContext:
    return CommissionContext(idempotency_key="home-7-0", worker=worker, attempt=1, **fields)  # type: ignore[arg-type]


def haiku_cost(input_tokens: int = 100, output_tokens: int = 20) -> Decimal:
    price = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=input_tokens, output_tokens=output_tokens),
        "claude-haiku-4-5",
        provider_id="anthropic",
    )
    return price.total_price


# -- tool workers --------------------------------------------------------------------------


class Reading(BaseModel):
    room: str
    celsius: float


def set_heating(room: str, celsius: float, mode: Literal["eco", "comfort"] = "eco") -> Reading:
    """Set a room's thermostat.

    Returns the reading after the change.
    """
    return Reading(room=room, celsius=celsius)


async def test_a_tool_schema_comes_from_its_type_hints() -> None:
    spec = ToolWorker("heating", set_heating).spec

    assert spec.name == "heating"
    assert spec.kind == "tool"
    assert spec.description == "Set a room's thermostat."
    assert spec.input_schema["properties"] == {
        "room": {"title": "Room", "type": "string"},
        "celsius": {"title": "Celsius", "type": "number"},
        "mode": {"default": "eco", "enum": ["eco", "comfort"], "title": "Mode", "type": "string"},
    }
    assert spec.input_schema["required"] == ["room", "celsius"]
    assert spec.input_schema["additionalProperties"] is False
    assert spec.output_schema["properties"] == {
        "room": {"title": "Room", "type": "string"},
        "celsius": {"title": "Celsius", "type": "number"},
    }


async def test_a_tool_description_can_be_given() -> None:
    spec = ToolWorker("heating", set_heating, description="the thermostat").spec

    assert spec.description == "the thermostat"


async def test_a_tool_output_is_validated_and_dumped_as_json() -> None:
    result = await ToolWorker("heating", set_heating).run(
        {"room": "study", "celsius": "21.5"}, context()
    )

    assert result.output == {"room": "study", "celsius": 21.5}
    assert result.confidence == 1.0


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (
            {"room": "study", "celsius": "warm"},
            "inputs of worker 'heating' do not match its schema: celsius: Input should be a "
            "valid number, unable to parse string as a number (got 'warm'). Expected fields: "
            "['room', 'celsius', 'mode'].",
        ),
        (
            {"room": "study", "celsius": 20, "mode": "turbo"},
            "inputs of worker 'heating' do not match its schema: mode: Input should be 'eco' "
            "or 'comfort' (got 'turbo'). Expected fields: ['room', 'celsius', 'mode'].",
        ),
        (
            {"room": "study", "celsius": 20, "fan": True},
            "inputs of worker 'heating' do not match its schema: fan: Extra inputs are not "
            "permitted (got True). Expected fields: ['room', 'celsius', 'mode'].",
        ),
    ],
)
async def test_inputs_that_violate_the_schema_name_the_field(
    inputs: dict[str, object], expected: str
) -> None:
    with pytest.raises(RecordError) as caught:
        await ToolWorker("heating", set_heating).run(inputs, context())

    assert str(caught.value) == expected


async def test_a_missing_input_names_the_field() -> None:
    with pytest.raises(RecordError, match=r"schema: celsius: Field required"):
        await ToolWorker("heating", set_heating).run({"room": "study"}, context())


def wrong_output(room: str) -> int:
    return room  # type: ignore[return-value]


async def test_an_output_that_violates_the_return_annotation_is_refused() -> None:
    with pytest.raises(RecordError) as caught:
        await ToolWorker("count", wrong_output).run({"room": "study"}, context())

    assert str(caught.value) == (
        "output of worker 'count' violates its schema: value: Input should be a valid "
        "integer, unable to parse string as an integer (got 'study'); got 'study'. "
        "Fix the function or its return annotation."
    )


async def test_a_sync_function_runs_in_a_worker_thread() -> None:
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def where(text: str) -> str:
        threads.append(threading.get_ident())
        return text.upper()

    result = await ToolWorker("where", where).run({"text": "hi"}, context())

    assert result.output == "HI"
    assert len(threads) == 1
    assert threads[0] != loop_thread


async def test_an_async_function_is_awaited_on_the_loop() -> None:
    loop_thread = threading.get_ident()
    threads: list[int] = []

    async def where(text: str) -> str:
        await anyio.sleep(0)
        threads.append(threading.get_ident())
        return text.upper()

    result = await ToolWorker("where", where).run({"text": "hi"}, context())

    assert result.output == "HI"
    assert threads == [loop_thread]


async def test_a_context_parameter_receives_the_idempotency_key() -> None:
    worker = echo_worker()

    result = await worker.run({"text": "hi"}, context("echo"))

    assert result.output == {"text": "hi", "key": "home-7-0"}
    assert "context" not in worker.spec.input_schema["properties"]


async def test_a_failing_function_becomes_a_worker_error() -> None:
    def broken(text: str) -> str:
        raise KeyError(text)

    with pytest.raises(WorkerError) as caught:
        await ToolWorker("broken", broken).run({"text": "boom"}, context())

    assert str(caught.value) == "worker 'broken' raised KeyError: 'boom'"
    assert caught.value.retryable is False


async def test_a_priced_tool_records_its_cost() -> None:
    ctx = context("send_text")

    await ToolWorker("send_text", echo_worker().function, cost_usd=0.0079).run({"text": "hi"}, ctx)

    assert ctx.usage == [Usage(tier="tool", requests=1, cost_usd=Decimal("0.0079"))]


async def test_a_free_tool_records_nothing() -> None:
    ctx = context("echo")

    await echo_worker().run({"text": "hi"}, ctx)

    assert ctx.usage == []


# -- llm workers -------------------------------------------------------------------------


class Summary(BaseModel):
    headline: str
    words: int


def summarizer(model: ScriptedModel, retries: int = 1) -> LlmWorker:
    return LlmWorker(
        "summarize",
        model,
        tier="cheap",
        instructions="Summarise the text in one headline.",
        output_type=Summary,
        retries=retries,
    )


async def test_an_llm_worker_validates_its_output() -> None:
    model = ScriptedModel([{"headline": "Heating fixed", "words": "2"}])
    ctx = context("summarize")

    result = await summarizer(model).run({"text": "the boiler works again"}, ctx)

    assert result.output == {"headline": "Heating fixed", "words": 2}
    assert model.calls == 1


async def test_an_llm_worker_spec_carries_the_output_schema() -> None:
    spec = summarizer(ScriptedModel(["{}"])).spec

    assert spec.kind == "llm"
    assert spec.description == "Summarise the text in one headline."
    assert spec.output_schema["required"] == ["headline", "words"]


async def test_usage_is_recorded_per_model_response_with_its_price() -> None:
    model = ScriptedModel(['{"headline": 7', {"headline": "ok", "words": 1}])
    ctx = context("summarize")

    await summarizer(model).run({"text": "t"}, ctx)

    expected = Usage(
        tier="cheap",
        model="claude-haiku-4-5",
        provider="anthropic",
        requests=1,
        input_tokens=100,
        output_tokens=20,
        cost_usd=haiku_cost(),
    )
    assert ctx.usage == [expected, expected]
    assert haiku_cost() == Decimal("0.0002")


async def test_a_model_without_a_price_is_recorded_unpriced() -> None:
    model = ScriptedModel([{"headline": "ok", "words": 1}], model_name="my-local-llama")
    ctx = context("summarize")

    await summarizer(model).run({"text": "t"}, ctx)

    assert [u.cost_usd for u in ctx.usage] == [None]
    assert [u.model for u in ctx.usage] == ["my-local-llama"]


async def test_each_commission_starts_with_no_history() -> None:
    model = ScriptedModel([{"headline": "one", "words": 1}])
    worker = summarizer(model)

    await worker.run({"text": "FIRST-SECRET"}, context("summarize"))
    await worker.run({"text": "second"}, context("summarize"))

    second = model.prompts[1]
    assert len(second) == 1
    assert isinstance(second[0], ModelRequest)
    prompts = [p.content for p in second[0].parts if isinstance(p, UserPromptPart)]
    assert prompts == ['{"text": "second"}']
    assert not any(isinstance(m, ModelResponse) for m in second)
    assert "FIRST-SECRET" not in repr(second)


async def test_constraints_reach_the_instructions_verbatim() -> None:
    model = ScriptedModel([{"headline": "ok", "words": 1}])
    constraints = ("Never mention the price.", "Use British spelling; 'colour', not 'color'.")

    await summarizer(model).run({"text": "t"}, context("summarize", constraints=constraints))

    request = model.prompts[0][0]
    assert isinstance(request, ModelRequest)
    assert request.instructions == (
        "Summarise the text in one headline.\n\nConstraints (follow exactly):\n"
        "- Never mention the price.\n- Use British spelling; 'colour', not 'color'."
    )


async def test_without_constraints_the_instructions_are_unchanged() -> None:
    model = ScriptedModel([{"headline": "ok", "words": 1}])

    await summarizer(model).run({"text": "t"}, context("summarize"))

    request = model.prompts[0][0]
    assert isinstance(request, ModelRequest)
    assert request.instructions == "Summarise the text in one headline."


async def test_malformed_output_fails_after_retries_and_keeps_the_usage() -> None:
    model = ScriptedModel(['{"headline": "cut off'])
    ctx = context("summarize")

    with pytest.raises(WorkerError) as caught:
        await summarizer(model, retries=2).run({"text": "t"}, ctx)

    assert str(caught.value) == (
        "worker 'summarize': tier 'cheap' (model 'claude-haiku-4-5'): the output stayed "
        "invalid after 2 retries (Exceeded maximum output retries (2); structured output "
        "mode 'tool')"
    )
    # What the model wrote, and why it was refused, go with the report as evidence.
    last, why = ctx.kept
    assert last == "the model's last output (untrusted): " + json.dumps('{"headline": "cut off')
    assert why.startswith("why it was refused (untrusted): ")
    assert "Invalid JSON" in why
    assert model.calls == 3
    assert len(ctx.usage) == 3
    assert sum((u.cost_usd or Decimal(0) for u in ctx.usage), Decimal(0)) == 3 * haiku_cost()


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (503, True), (400, False)])
async def test_a_provider_http_error_becomes_a_provider_error(status: int, retryable: bool) -> None:
    model = ScriptedModel([ModelHTTPError(status, "claude-haiku-4-5", body="slow down")])
    ctx = context("summarize")

    with pytest.raises(ProviderError) as caught:
        await summarizer(model).run({"text": "t"}, ctx)

    assert str(caught.value) == (
        f"worker 'summarize': tier 'cheap' (model 'claude-haiku-4-5') answered HTTP {status}"
    )
    assert caught.value.retryable is retryable
    assert ctx.kept == ['the server\'s answer (untrusted): "slow down"']
    assert model.calls == 1
    # The attempt is counted: one request, no tokens, no known price.
    assert [(u.requests, u.tokens, u.cost_usd) for u in ctx.usage] == [(1, 0, None)]


async def test_a_provider_error_after_a_response_keeps_that_responses_usage() -> None:
    model = ScriptedModel(["not json", ModelHTTPError(429, "claude-haiku-4-5", body="later")])
    ctx = context("summarize")

    with pytest.raises(ProviderError):
        await summarizer(model).run({"text": "t"}, ctx)

    assert [(u.input_tokens, u.output_tokens, u.cost_usd) for u in ctx.usage] == [
        (100, 20, haiku_cost()),
        (0, 0, None),
    ]


async def test_a_text_worker_returns_plain_text() -> None:
    model = ScriptedModel(["The boiler works again."])
    worker = LlmWorker("gist", model, tier="cheap", instructions="Give the gist.")

    result = await worker.run({"text": "long text"}, context("gist"))

    assert result.output == "The boiler works again."
    assert worker.spec.output_schema == {"type": "string"}
