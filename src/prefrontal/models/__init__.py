"""Model tiers: named pydantic-ai models, and what each call actually used and cost.

Owns: resolving ``[models]`` tiers to pydantic-ai models (``resolve_tiers``), reading the
model actually used and its tokens and cost out of a run (``usage_of``), and mapping provider
failures onto ``ProviderError``. Imports the seam, errors and config; never the runtime.
No code path falls back to another model: a tier resolves to exactly its configured model or
start-up fails naming the tier.
"""

from prefrontal.models.tiers import PROVIDER_KEYS, resolve_tier, resolve_tiers
from prefrontal.models.usage import provider_error, usage_of

__all__ = ["PROVIDER_KEYS", "provider_error", "resolve_tier", "resolve_tiers", "usage_of"]
