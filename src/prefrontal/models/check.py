"""Probe a tier once per structured output mode: which one yields a valid typed output.

``prefrontal models check TIER`` renders it. Each probe is one call with no output retries,
a small ``max_tokens`` and the tier's time limit, so a server that never answers costs at
most ``timeout_s`` per mode. What the server or model said comes back bounded and marked
untrusted, for the principal to read, never to act on.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from prefrontal.config import Config, EndpointTier, StructuredMode
from prefrontal.errors import ConfigError
from prefrontal.models.calling import MODES
from prefrontal.models.run import ModelCaller, ModelFailure
from prefrontal.models.tiers import calling_of, resolve_tier
from prefrontal.seam.usage import Usage

PROMPT = "Is water wet? Answer yes or no, and give the number of legs a cat has."


class Probe(BaseModel):
    """The probe's output type: one closed value and one bounded number."""

    answer: Literal["yes", "no"]
    legs: int = Field(ge=0, le=100)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    mode: StructuredMode
    ok: bool
    seconds: float
    detail: str
    evidence: tuple[str, ...]
    usage: tuple[Usage, ...]


async def check_tier(
    config: Config,
    name: str,
    *,
    modes: tuple[StructuredMode, ...] | None = None,
    max_tokens: int = 128,
    env: Mapping[str, str] | None = None,
) -> list[ProbeResult]:
    """Probe tier ``name`` once per mode (an endpoint tier: every mode, its own first)."""
    tier = config.models.get(name)
    if tier is None:
        raise ConfigError(
            f"{config.source}: tier {name!r} is not declared; declared tiers: "
            f"{sorted(config.models)}."
        )
    if not isinstance(tier, EndpointTier):
        return [await _probe(config, name, "tool", tier, max_tokens, env)]
    own = calling_of(tier).structured
    order = modes or (own, *(m for m in MODES if m != own))
    return [await _probe(config, name, mode, tier, max_tokens, env) for mode in order]


async def _probe(
    config: Config,
    name: str,
    mode: StructuredMode,
    tier: str | EndpointTier,
    max_tokens: int,
    env: Mapping[str, str] | None,
) -> ProbeResult:
    if isinstance(tier, EndpointTier):
        tier = EndpointTier.model_validate({**tier.model_dump(), "structured": mode})
    model = resolve_tier(name, tier, source=config.source, env=env)
    caller = ModelCaller(model, tier=name, output_type=Probe, output_retries=0)
    begun = time.perf_counter()
    outcome = await caller.run(PROMPT, max_tokens=max_tokens)
    seconds = time.perf_counter() - begun
    if isinstance(outcome, ModelFailure):
        return ProbeResult(
            mode=mode,
            ok=False,
            seconds=seconds,
            detail=outcome.message,
            evidence=outcome.evidence,
            usage=outcome.usage,
        )
    return ProbeResult(
        mode=mode,
        ok=True,
        seconds=seconds,
        detail=f"valid: {outcome.output.model_dump_json()}",
        evidence=(),
        usage=outcome.usage,
    )


__all__ = ["PROMPT", "Probe", "ProbeResult", "check_tier"]
