"""Unpriced is never free: which tiers have no price, and the warning a budgeted domain gets.

A hosted model is priced by genai-prices. A local server's model has no price unless its
tier sets ``usd_per_million_tokens``; its calls are then counted and shown as unpriced
(calls and tokens), never as $0, and a domain's money budget cannot bind them. Start-up
warns for every budgeted domain that uses such a tier.
"""

from __future__ import annotations

import warnings

from prefrontal.config import Config, EndpointTier, LlmPolicyConfig, ModelWorkerConfig


class UnpricedTierWarning(UserWarning):
    """A budgeted domain uses a tier with no price: its budget does not bind that tier."""


def unpriced_tiers(config: Config) -> list[str]:
    """Endpoint tiers without ``usd_per_million_tokens``: their calls will have no price."""
    return sorted(
        name
        for name, tier in config.models.items()
        if isinstance(tier, EndpointTier) and tier.usd_per_million_tokens is None
    )


def unpriced_warnings(config: Config, *, resolved: set[str] | None = None) -> list[str]:
    """One line per budgeted domain that uses an unpriced tier, naming the fix.

    ``resolved`` tiers are given as models (tests' scripted ones) and priced by them.
    """
    unpriced = set(unpriced_tiers(config)) - (resolved or set())
    lines: list[str] = []
    for name, domain in config.domains.items():
        if domain.budget.usd_per_day <= 0:
            continue
        workers = [config.workers[w] for w in domain.workers]
        used = {w.tier for w in workers if isinstance(w, ModelWorkerConfig)}
        if isinstance(domain.policy, LlmPolicyConfig):
            used.add(domain.policy.tier)
        for tier in sorted(used & unpriced):
            lines.append(
                f"{config.source}: domain {name!r} has a budget of "
                f"${domain.budget.usd_per_day:.2f}/day, but tier {tier!r} has no price: its "
                "calls are shown as unpriced and the budget does not bind them. Set "
                f"usd_per_million_tokens in [models.{tier}] (0 if it really is free)."
            )
    return lines


def warn_unpriced(config: Config, *, resolved: set[str] | None = None) -> None:
    for line in unpriced_warnings(config, resolved=resolved):
        warnings.warn(line, UnpricedTierWarning, stacklevel=3)
