"""What a pydantic-ai run actually used: one ``Usage`` per model response, and errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from prefrontal.errors import ProviderError
from prefrontal.seam.usage import Usage

if TYPE_CHECKING:
    from pydantic_ai.exceptions import ModelAPIError
    from pydantic_ai.messages import ModelMessage


def usage_of(messages: Sequence[ModelMessage], *, tier: str) -> tuple[Usage, ...]:
    """Usage per model response, with the model the provider reported and its price.

    Each response is its own record, so retries are counted and a run that mixed models
    (it should not) would show it. ``cost_usd`` is ``None`` where genai-prices has no price.
    """
    from pydantic_ai.messages import ModelResponse

    found: list[Usage] = []
    for message in messages:
        if isinstance(message, ModelResponse):
            found.append(
                Usage(
                    tier=tier,
                    model=message.model_name,
                    provider=message.provider_name,
                    requests=1,
                    input_tokens=message.usage.input_tokens,
                    output_tokens=message.usage.output_tokens,
                    cost_usd=message.usage.cost,
                )
            )
    return tuple(found)


def provider_error(error: ModelAPIError, *, tier: str) -> ProviderError:
    """A provider failure as a ``ProviderError``; 408, 409, 429 and 5xx are retryable."""
    from pydantic_ai.exceptions import ModelHTTPError

    if isinstance(error, ModelHTTPError):
        status = error.status_code
        retryable = status in (408, 409, 429) or status >= 500
        return ProviderError(
            f"tier {tier!r}: model {error.model_name!r} answered HTTP {status}: "
            f"{str(error.body)[:300]}",
            retryable=retryable,
        )
    return ProviderError(f"tier {tier!r}: {error}", retryable=True)
