"""RulePolicy: a plain Python callable ``(state, event) -> Decision``; symbolic, no model.

A plain (sync) rule runs in a worker thread, never on the event loop."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import prefrontal.offload as offload
from prefrontal.errors import PolicyError
from prefrontal.policies.base import PolicyResult
from prefrontal.seam.actions import Decision
from prefrontal.seam.events import InboundEvent
from prefrontal.seam.roster import DomainView

RuleFunction = Callable[[DomainView, InboundEvent], Decision | Awaitable[Decision]]


class RulePolicy:
    """Wraps a rule. It must be deterministic: replay re-runs it and compares decisions."""

    deterministic = True

    def __init__(self, rule: RuleFunction, *, name: str | None = None) -> None:
        if not callable(rule):
            raise PolicyError(f"rule policy {rule!r} is not callable; give a function")
        self.rule = rule
        self._async = inspect.iscoroutinefunction(rule)
        self.name = name or f"{rule.__module__}:{getattr(rule, '__qualname__', repr(rule))}"

    async def decide(self, state: DomainView, event: InboundEvent) -> PolicyResult:
        if self._async:
            outcome: Any = await self.rule(state, event)  # type: ignore[misc]
        else:
            # Off the event loop, so a rule that blocks cannot stall every domain; a time
            # limit abandons the thread (Python cannot stop one) and the domain escalates.
            outcome = await offload.run_sync(self.rule, state, event, name=f"policy {self.name}")
            if inspect.isawaitable(outcome):
                outcome = await outcome
        if not isinstance(outcome, Decision):
            raise PolicyError(
                f"rule policy {self.name!r} returned {type(outcome).__name__} "
                f"({str(outcome)[:120]!r}); it must return a Decision, "
                "e.g. Decision.of(ReplyAction(text='...'))."
            )
        return PolicyResult(decision=outcome)
