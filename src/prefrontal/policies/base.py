"""The policy protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from prefrontal.seam.actions import Decision
from prefrontal.seam.events import InboundEvent
from prefrontal.seam.roster import DomainView
from prefrontal.seam.usage import Usage


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyResult:
    """A decision and what deciding consumed. ``failure`` explains a decision the policy
    could not make (the orchestrator then escalates), keeping the usage of the failed calls.
    """

    decision: Decision
    usage: tuple[Usage, ...] = ()
    failure: str | None = None


class Policy(Protocol):
    """Decides one event. ``deterministic`` policies are re-checked by ``prefrontal replay``."""

    @property
    def name(self) -> str: ...

    @property
    def deterministic(self) -> bool: ...

    async def decide(self, state: DomainView, event: InboundEvent) -> PolicyResult: ...


@runtime_checkable
class InlinePolicy(Policy, Protocol):
    """A policy that can also decide synchronously, on the spot, when that is cheap.

    The runtime then decides an event inside the transaction that journals it, so the event,
    the decision and what it issues share one commit. ``None``: not now, use ``decide``.
    """

    def decide_inline(self, state: DomainView, event: InboundEvent) -> PolicyResult | None: ...
