"""Resolve configured tiers to pydantic-ai models, failing at start-up with the tier's name."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from prefrontal.config import Config, EndpointTier, ModelTier, tiers_in_use
from prefrontal.errors import ConfigError
from prefrontal.models.calling import SERVER_DEFAULTS, CallSettings
from prefrontal.models.pricing import warn_unpriced

if TYPE_CHECKING:
    from pydantic_ai.models import Model
    from pydantic_ai.providers import Provider

# The environment variable each provider reads its key from ("" = needs none).
PROVIDER_KEYS: dict[str, tuple[str, ...]] = {
    "anthropic": ("ANTHROPIC_API_KEY",),
    "openai": ("OPENAI_API_KEY",),
    "openai-chat": ("OPENAI_API_KEY",),
    "openai-responses": ("OPENAI_API_KEY",),
    "google": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    "google-gla": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    "groq": ("GROQ_API_KEY",),
    "mistral": ("MISTRAL_API_KEY",),
    "test": (),
}
_ALIASES = {"google-gla": "google"}


def resolve_tier(
    name: str, tier: ModelTier, *, source: str, env: Mapping[str, str] | None = None
) -> Model:
    """The pydantic-ai model for one tier, or a ``ConfigError`` naming the tier and the fix."""
    from pydantic_ai.models import infer_model
    from pydantic_ai.providers import infer_provider, infer_provider_class

    env = os.environ if env is None else env
    if isinstance(tier, EndpointTier):
        return _endpoint(name, tier, source=source, env=env)
    provider, _, model_name = tier.partition(":")
    if tier != "test" and not model_name:
        raise ConfigError(
            f"{source}: [models] {name} = {tier!r} names no model; use 'provider:model', "
            "e.g. 'anthropic:claude-haiku-4-5', or a table with base_url and model."
        )
    if provider not in PROVIDER_KEYS:
        raise ConfigError(
            f"{source}: [models] {name} = {tier!r}: unknown provider {provider!r}; known "
            f"providers: {sorted(PROVIDER_KEYS)}. For a local OpenAI-compatible server use "
            f"[models.{name}] with base_url and model."
        )
    keys = PROVIDER_KEYS[provider]
    if keys and not any(env.get(k) for k in keys):
        raise ConfigError(
            f"{source}: tier {name!r} uses {tier!r} but {' or '.join(keys)} is not set. "
            f"Export {keys[0]}=... before starting, or point the tier at another model."
        )
    spec = f"{_ALIASES.get(provider, provider)}:{model_name}" if model_name else tier
    key = next((env[k] for k in keys if env.get(k)), None)

    def provider_with_key(name: str) -> Provider[Any]:
        # The key comes from ``env`` (the process environment unless given), never elsewhere.
        return infer_provider_class(name)(api_key=key) if key else infer_provider(name)  # type: ignore[call-arg]

    try:
        return infer_model(spec, provider_factory=provider_with_key)
    except ImportError as error:
        raise ConfigError(
            f"{source}: tier {name!r} uses {tier!r}, whose client is not installed: {error}"
        ) from None
    except Exception as error:
        raise ConfigError(f"{source}: tier {name!r} = {tier!r} is not usable: {error}") from None


def _endpoint(name: str, tier: EndpointTier, *, source: str, env: Mapping[str, str]) -> Model:
    from prefrontal.models.endpoint import EndpointModel

    if not tier.base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"{source}: [models.{name}] base_url = {tier.base_url!r} is not an http(s) URL; "
            "e.g. 'http://127.0.0.1:11434/v1' for Ollama."
        )
    api_key = "not-needed"
    if tier.api_key_env:
        api_key = env.get(tier.api_key_env, "")
        if not api_key:
            raise ConfigError(
                f"{source}: tier {name!r} reads its key from {tier.api_key_env}, which is not "
                f"set. Export {tier.api_key_env}=... or remove api_key_env."
            )
    return EndpointModel(
        tier.model, base_url=tier.base_url, api_key=api_key, calling=calling_of(tier)
    )


def calling_of(tier: EndpointTier) -> CallSettings:
    """How every call to an endpoint tier is made: its mode (or its server's), limits, price."""
    price = tier.usd_per_million_tokens
    return CallSettings(
        structured=tier.structured or SERVER_DEFAULTS[tier.server],
        max_tokens=tier.max_tokens,
        timeout_s=tier.timeout_s,
        url=tier.base_url,
        named_tool=True,
        # llama.cpp's servers read a schema inside a json_object format (Ollama and vLLM
        # do not document it): the output is then constrained to the schema, not just JSON.
        schema_in_format=tier.server == "llama.cpp",
        usd_per_million_tokens=None if price is None else Decimal(str(price)),
    )


def resolve_tiers(
    config: Config,
    *,
    overrides: Mapping[str, Model] | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Model]:
    """Resolve every tier something uses. ``overrides`` supply models directly (tests)."""
    overrides = overrides or {}
    warn_unpriced(config, resolved=set(overrides))
    resolved: dict[str, Model] = dict(overrides)
    for tier, _user in tiers_in_use(config):
        if tier not in resolved:
            resolved[tier] = resolve_tier(tier, config.models[tier], source=config.source, env=env)
    return resolved
