"""How Prefrontal calls a tier: the settings of one tier, and the model class that carries them.

Every model call sends ``max_tokens`` and ends within ``timeout_s``. The provider client's own
retries are off (``max_retries=0``): Prefrontal's retries are the only ones, so each attempt
is seen, metered and journaled. ``structured`` says how output is forced:

- ``tool``: the output is a tool call; on an endpoint the tool is *named* in ``tool_choice``
  (llama.cpp's server constrains output only for a named tool, not for ``"required"``);
- ``json_schema``: ``response_format`` with the JSON schema (Ollama, vLLM, OpenAI);
- ``json_object``: ``response_format`` ``json_object``, the schema given in the prompt (and,
  for llama.cpp's servers, inside the response format too, which they turn into a grammar);
- ``prompted``: the schema in the prompt only; the answer is validated like the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from prefrontal.config import KnownServer, StructuredMode

if TYPE_CHECKING:
    from pydantic_ai.models import Model

OUTPUT_TOOL = "final_result"

# What works on each known server (measured on llama.cpp's server; documented for the others).
SERVER_DEFAULTS: dict[KnownServer, StructuredMode] = {
    "llama.cpp": "tool",
    "ollama": "json_schema",
    "vllm": "json_schema",
    "openai": "tool",
}
MODES: tuple[StructuredMode, ...] = ("tool", "json_schema", "json_object", "prompted")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallSettings:
    """How every call to one tier is made and priced. Hosted tiers get these defaults."""

    structured: StructuredMode = "tool"
    max_tokens: int = 1024
    timeout_s: float = 60.0
    url: str | None = None
    named_tool: bool = False
    schema_in_format: bool = False
    usd_per_million_tokens: Decimal | None = None

    def price(self, tokens: int) -> Decimal | None:
        """The configured price of ``tokens``, or ``None`` when the tier has none."""
        if self.usd_per_million_tokens is None:
            return None
        return self.usd_per_million_tokens * tokens / 1_000_000


def require_tags(schema: Any) -> Any:
    """``schema`` with every constant property (a union's tag, e.g. an action's ``kind``) required.

    pydantic leaves a tag with a default out of ``required``, yet a discriminated union needs
    it to validate. A server that turns the schema into a grammar would let the model leave
    it out, and the answer would then fail validation for want of a fixed string.
    """
    if isinstance(schema, list):
        return [require_tags(item) for item in cast(list[Any], schema)]
    if not isinstance(schema, dict):
        return schema
    node = {key: require_tags(value) for key, value in cast(dict[str, Any], schema).items()}
    properties = node.get("properties")
    if isinstance(properties, dict):
        fields = cast(dict[str, Any], properties)
        tags = [name for name, spec in fields.items() if isinstance(spec, dict) and "const" in spec]
        required: list[str] = list(node.get("required", []))
        missing = [tag for tag in tags if tag not in required]
        if missing:
            node["required"] = [*missing, *required]
    return node


def settings_of(model: Model) -> CallSettings:
    """The call settings a resolved tier carries; defaults for any other model."""
    found: Any = getattr(model, "calling", None)
    return found if isinstance(found, CallSettings) else CallSettings()
