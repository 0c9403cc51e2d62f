"""Model tiers: a tier resolves to exactly its configured model, or start-up fails naming it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.models.test import TestModel

from prefrontal import Config, ConfigError
from prefrontal.config import EndpointTier
from prefrontal.models import PROVIDER_KEYS, resolve_tier, resolve_tiers
from prefrontal.testing import ScriptedModel

WriteConfig = Callable[..., Config]

HAIKU = "anthropic:claude-haiku-4-5"


def test_a_missing_key_names_the_tier_and_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_tier("cheap", HAIKU, source="p.toml", env={})

    assert str(caught.value) == (
        "p.toml: tier 'cheap' uses 'anthropic:claude-haiku-4-5' but ANTHROPIC_API_KEY is not "
        "set. Export ANTHROPIC_API_KEY=... before starting, or point the tier at another model."
    )


def test_an_empty_key_counts_as_missing() -> None:
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY is not set"):
        resolve_tier("cheap", HAIKU, source="p.toml", env={"ANTHROPIC_API_KEY": ""})


def test_either_google_variable_is_named() -> None:
    with pytest.raises(ConfigError, match="GOOGLE_API_KEY or GEMINI_API_KEY is not set"):
        resolve_tier("cheap", "google:gemini-2.5-flash", source="p.toml", env={})


def test_an_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_tier("cheap", "bogus:x", source="p.toml", env={})

    assert str(caught.value) == (
        f"p.toml: [models] cheap = 'bogus:x': unknown provider 'bogus'; known providers: "
        f"{sorted(PROVIDER_KEYS)}. For a local OpenAI-compatible server use [models.cheap] "
        "with base_url and model."
    )


def test_a_provider_without_a_model_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_tier("cheap", "anthropic", source="p.toml", env={})

    assert str(caught.value) == (
        "p.toml: [models] cheap = 'anthropic' names no model; use 'provider:model', e.g. "
        "'anthropic:claude-haiku-4-5', or a table with base_url and model."
    )


def test_the_test_tier_needs_no_key() -> None:
    assert isinstance(resolve_tier("free", "test", source="p.toml", env={}), TestModel)


def test_a_key_in_the_process_environment_builds_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")

    model = resolve_tier("cheap", HAIKU, source="p.toml")

    assert isinstance(model, AnthropicModel)
    assert model.model_name == "claude-haiku-4-5"
    assert model.system == "anthropic"


def test_a_key_in_the_env_mapping_builds_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)

    model = resolve_tier(
        "cheap", HAIKU, source="p.toml", env={"ANTHROPIC_API_KEY": "sk-ant-test-not-a-real-key"}
    )

    assert isinstance(model, AnthropicModel)
    assert model.model_name == "claude-haiku-4-5"


def test_an_endpoint_tier_sends_max_tokens_and_uses_a_tool_for_output() -> None:
    tier = EndpointTier(base_url="http://127.0.0.1:11434/v1", model="llama3.2")

    model = resolve_tier("local", tier, source="p.toml", env={})

    assert isinstance(model, OpenAIChatModel)
    assert model.model_name == "llama3.2"
    assert model.base_url == "http://127.0.0.1:11434/v1/"
    assert model.profile.get("openai_chat_supports_max_completion_tokens") is False
    assert model.profile.get("supports_json_schema_output") is False
    assert model.profile.get("supports_json_object_output") is False
    assert model.profile.get("default_structured_output_mode") == "tool"


def test_an_endpoint_reads_its_key_from_the_named_variable() -> None:
    tier = EndpointTier(base_url="https://llm.example/v1", model="m", api_key_env="LLM_KEY")

    model = resolve_tier("local", tier, source="p.toml", env={"LLM_KEY": "sk-local"})

    assert isinstance(model, OpenAIChatModel)
    assert model.model_name == "m"


def test_an_endpoint_whose_key_variable_is_unset_is_refused() -> None:
    tier = EndpointTier(base_url="https://llm.example/v1", model="m", api_key_env="LLM_KEY")

    with pytest.raises(ConfigError) as caught:
        resolve_tier("local", tier, source="p.toml", env={})

    assert str(caught.value) == (
        "p.toml: tier 'local' reads its key from LLM_KEY, which is not set. "
        "Export LLM_KEY=... or remove api_key_env."
    )


def test_an_endpoint_without_an_http_url_is_refused() -> None:
    tier = EndpointTier(base_url="127.0.0.1:11434/v1", model="m")

    with pytest.raises(ConfigError) as caught:
        resolve_tier("local", tier, source="p.toml", env={})

    assert str(caught.value) == (
        "p.toml: [models.local] base_url = '127.0.0.1:11434/v1' is not an http(s) URL; "
        "e.g. 'http://127.0.0.1:11434/v1' for Ollama."
    )


TIERED = """
[models]
cheap = "anthropic:claude-haiku-4-5"
boss = "anthropic:claude-sonnet-4-5"
free = "test"
unused = "bogus:never-resolved"

[workers.summarize]
kind = "llm"
tier = "cheap"
instructions = "Summarise."

[domains.home]
charter = "the house"
policy = { kind = "llm", tier = "boss" }
workers = ["summarize"]

[domains.garden]
charter = "the garden"
policy = { kind = "llm", tier = "free" }
"""


def test_overrides_replace_their_tiers_and_nothing_else_is_asked_of_them(
    write_config: WriteConfig,
) -> None:
    config = write_config(TIERED)
    cheap = ScriptedModel(["done"])
    boss = ScriptedModel(["done"])

    # No key is set: only the "free" tier, which needs none, is actually resolved.
    resolved = resolve_tiers(config, overrides={"cheap": cheap, "boss": boss}, env={})

    assert resolved["cheap"] is cheap
    assert resolved["boss"] is boss
    assert isinstance(resolved["free"], TestModel)
    assert sorted(resolved) == ["boss", "cheap", "free"]


def test_a_tier_without_an_override_is_still_resolved_and_fails_by_name(
    write_config: WriteConfig,
) -> None:
    config = write_config(TIERED)
    overrides: dict[str, Model] = {"cheap": ScriptedModel(["done"])}

    with pytest.raises(ConfigError) as caught:
        resolve_tiers(config, overrides=overrides, env={})

    assert "tier 'boss' uses 'anthropic:claude-sonnet-4-5' but ANTHROPIC_API_KEY" in str(
        caught.value
    )
    assert str(caught.value).startswith(config.source)
