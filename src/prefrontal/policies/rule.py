"""RulePolicy: a plain Python callable ``(state, event) -> Decision``; symbolic, no model.

A plain (sync) rule runs in a worker thread, so a rule that blocks cannot stall every
domain and its decision time-out binds. A domain may opt in to deciding inline
(``[domains.X] inline = true``): once the rule's last ``CHEAP_STREAK`` calls each took under
``CHEAP_S``, it is called directly (no thread hop), and the runtime may decide with it inside
the transaction that journals the event (``decide_inline``). A call that then takes longer
sends it back to threads until it is cheap again. The price of opting in: a rule that is
cheap for a while and then blocks for good holds the driver up, because the decision
time-out binds only in a thread; so it is off unless the domain asks for it.
An async rule is awaited on the event loop and never decided inline.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

import prefrontal.offload as offload
from prefrontal.errors import PolicyError
from prefrontal.policies.base import PolicyResult
from prefrontal.seam.actions import Decision
from prefrontal.seam.events import InboundEvent
from prefrontal.seam.roster import DomainView

RuleFunction = Callable[[DomainView, InboundEvent], Decision | Awaitable[Decision]]
CHEAP_S = 0.005
"""A call under this long is cheap: less than a thread hop and a commit cost together."""
CHEAP_STREAK = 8
"""Cheap calls in a row before a rule runs without a thread."""


class RulePolicy:
    """Wraps a rule. It must be deterministic: replay re-runs it and compares decisions."""

    deterministic = True

    def __init__(
        self, rule: RuleFunction, *, name: str | None = None, inline: bool = False
    ) -> None:
        if not callable(rule):
            raise PolicyError(f"rule policy {rule!r} is not callable; give a function")
        self.rule = rule
        self._async = inspect.iscoroutinefunction(rule)
        self.name = name or f"{rule.__module__}:{getattr(rule, '__qualname__', repr(rule))}"
        self.cheap = 0
        """Calls in a row that took under ``CHEAP_S``."""
        self.may_inline = inline
        """Whether the domain opted in to inline decisions (``[domains.X] inline``)."""

    @property
    def inline(self) -> bool:
        """Whether the rule is called directly now (measured cheap), not on a thread."""
        return self.may_inline and not self._async and self.cheap >= CHEAP_STREAK

    async def decide(self, state: DomainView, event: InboundEvent) -> PolicyResult:
        if self.inline:
            outcome: Any = self._timed(state, event)
        elif self._async:
            outcome = await self.rule(state, event)  # type: ignore[misc]
        else:
            # Off the event loop, so a rule that blocks cannot stall every domain; a time
            # limit abandons the thread (Python cannot stop one) and the domain escalates.
            outcome = await offload.run_sync(self._timed, state, event, name=f"policy {self.name}")
        if inspect.isawaitable(outcome):
            outcome = await outcome
        return self._result(outcome)

    def decide_inline(self, state: DomainView, event: InboundEvent) -> PolicyResult | None:
        """Decide now if the rule is measured cheap; ``None`` otherwise (use ``decide``)."""
        if not self.inline:
            return None
        outcome = self._timed(state, event)
        if inspect.isawaitable(outcome):
            self.cheap = 0
            close = getattr(outcome, "close", None)
            if close is not None:
                close()  # a coroutine never awaited: closed, so it warns of nothing
            return None
        return self._result(outcome)

    def _timed(self, state: DomainView, event: InboundEvent) -> Any:
        begun = time.perf_counter()
        try:
            return self.rule(state, event)
        finally:
            cheap = time.perf_counter() - begun < CHEAP_S
            self.cheap = self.cheap + 1 if cheap else 0

    def _result(self, outcome: object) -> PolicyResult:
        if not isinstance(outcome, Decision):
            raise PolicyError(
                f"rule policy {self.name!r} returned {type(outcome).__name__} "
                f"({str(outcome)[:120]!r}); it must return a Decision, "
                "e.g. Decision.of(ReplyAction(text='...'))."
            )
        return PolicyResult(decision=outcome)
