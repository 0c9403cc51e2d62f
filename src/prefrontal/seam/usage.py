"""Usage: what one model call (or a priced tool call) actually consumed."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Usage(BaseModel):
    """The model actually used, its tokens, and the money, as measured after the call.

    ``cost_usd`` is ``None`` when the model has no known price: such usage is shown as
    unpriced, never as zero. ``tier`` is the configured tier that asked for the model, or
    ``"tool"`` for a tool worker with a fixed price per call.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["usage"] = "usage"
    tier: str
    model: str | None = None
    provider: str | None = None
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal | None = None

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def priced(self) -> bool:
        return self.cost_usd is not None
