"""What a pydantic-ai run actually used: one ``Usage`` per model response."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from prefrontal.models.calling import CallSettings
from prefrontal.seam.usage import Usage

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage


def usage_of(
    messages: Sequence[ModelMessage], *, tier: str, calling: CallSettings | None = None
) -> tuple[Usage, ...]:
    """Usage per model response, with the model the provider reported and its price.

    Each response is its own record, so retries are counted and a run that mixed models
    (it should not) would show it. An endpoint tier is priced only by its configured price
    (a local server may serve a model under a hosted name); any other tier by genai-prices.
    ``cost_usd`` is ``None`` where neither gives a price: shown as unpriced, never as zero.
    """
    from pydantic_ai.messages import ModelResponse

    calling = calling or CallSettings()
    found: list[Usage] = []
    for message in messages:
        if isinstance(message, ModelResponse):
            usage = message.usage
            configured = calling.price(usage.input_tokens + usage.output_tokens)
            priced_here = calling.url is not None or configured is not None
            found.append(
                Usage(
                    tier=tier,
                    model=message.model_name,
                    provider=message.provider_name,
                    requests=1,
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    cost_usd=configured if priced_here else usage.cost,
                )
            )
    return tuple(found)
