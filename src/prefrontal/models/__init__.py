"""Model tiers: named pydantic-ai models, how each is called, and what each call used and cost.

Owns: resolving ``[models]`` tiers to pydantic-ai models (``resolve_tiers``) with their call
settings (structured output mode, ``max_tokens``, time limit, price), the one function that
runs a model (``ModelCaller.run``: usage per attempt, failures mapped to typed data naming
the tier, model and URL), and probing a tier's structured output modes (``check_tier``).
Imports the seam, errors and config; never the runtime or a tier. No code path falls back to
another model: a tier resolves to exactly its configured model or start-up fails naming it.
"""

from prefrontal.models.calling import MODES, SERVER_DEFAULTS, CallSettings, settings_of
from prefrontal.models.tiers import PROVIDER_KEYS, resolve_tier, resolve_tiers
from prefrontal.models.usage import usage_of

__all__ = [
    "MODES",
    "PROVIDER_KEYS",
    "SERVER_DEFAULTS",
    "CallSettings",
    "resolve_tier",
    "resolve_tiers",
    "settings_of",
    "usage_of",
]
