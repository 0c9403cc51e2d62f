"""What the hand-built topologies share: asking a model, rendering history, journaling.

The monolith and the flat network are not Prefrontal, so they do not run through
``open_system``; they are small serial loops that build each prompt from real text (charters,
remembered notes, recent history folded by the runtime's own ``DomainState``, documents),
ask a pydantic-ai agent on a scripted model, and journal what happened with the runtime's
records (inbound events, decisions with their usage, inbox items). The figures then read
their journals exactly as they read the two-tier one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage

from prefrontal.bench.parts import CAPABLE_TIER
from prefrontal.bench.workload import Task, Theme
from prefrontal.journal.base import Journal, Stored
from prefrontal.models.usage import usage_of
from prefrontal.runtime.state import DomainState
from prefrontal.seam.actions import Action, ReplyAction
from prefrontal.seam.events import (
    DecisionEvent,
    Event,
    InboundEvent,
    InboxItem,
    RequestEvent,
    RoutedEvent,
    TimerEvent,
)
from prefrontal.seam.render import one_line
from prefrontal.seam.usage import Usage
from prefrontal.testing import Answer


class Slot:
    """A scripted model's next answer, set by the loop just before it asks."""

    def __init__(self) -> None:
        self.answer: Answer = {}

    def __call__(self, _messages: Sequence[ModelMessage]) -> Answer:
        return self.answer


async def ask(
    agent: Agent[None, Any], slot: Slot, prompt: str, answer: Answer
) -> tuple[Usage, ...]:
    """One model call with ``prompt``; the scripted model answers ``answer``."""
    slot.answer = answer
    result = await agent.run(prompt)
    return usage_of(result.all_messages(), tier=CAPABLE_TIER)


def new_state(name: str) -> DomainState:
    """History kept as an orchestrator keeps it: 12 recent events, then compacted notes."""
    return DomainState(domain=name, ceiling=lambda _action: Decimal(0))


def history_block(title: str, theme: Theme, state: DomainState) -> str:
    parts = [f"## {title}", f"Charter: {theme.charter}", f"Never: {theme.never}"]
    if state.memory:
        parts.append("Remembered:\n" + "\n".join(f"- {m}" for m in state.memory))
    if state.compacted:
        parts.append("Earlier (compacted):\n" + "\n".join(f"- {c}" for c in state.compacted))
    if state.recent:
        parts.append("Recent:\n" + "\n".join(line for _, line in state.recent))
    return "\n".join(parts)


def event_block(event: InboundEvent) -> str:
    body = event.model_dump(mode="json", exclude={"kind", "at", "provenance"})
    return f"Current event: {one_line(event)}\n{json.dumps(body, ensure_ascii=False)}"


def inbound_request(task: Task, domain: str) -> RoutedEvent:
    request = RequestEvent(request_id=task.task_id, text=task.text, address=domain, at=task.at)
    return RoutedEvent(
        request=request, domain=domain, method="address", reason="addressed", at=task.at
    )


def inbound_timer(task: Task, domain: str) -> TimerEvent:
    return TimerEvent(
        timer_id=f"t-{task.task_id}",
        domain=domain,
        name=task.text,
        thread_id=task.task_id,
        at=task.at,
    )


class Recorder:
    """Journals a hand-built topology's events as the runtime would record them."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def append(self, *events: Event) -> list[Stored]:
        stored = self.journal.append(list(events))
        assert all(s is not None for s in stored), "a hand-built event was journaled twice"
        return [s for s in stored if s is not None]

    def inbound(self, event: InboundEvent) -> Stored[InboundEvent]:
        """Journal one event an agent decides on, typed as such."""
        return self.append(event)[0].inbound()

    def decide(
        self,
        *,
        agent: str,
        cause: Stored[InboundEvent],
        actions: tuple[Action, ...],
        usage: tuple[Usage, ...],
        rationale: str = "",
    ) -> DecisionEvent:
        """Journal a decision; replies go to the principal at once (there is no inbox)."""
        event = cause.event
        decision = DecisionEvent(
            domain=agent,
            cause_seq=cause.seq,
            policy=agent,
            actions=actions,
            rationale=rationale,
            context_tokens=sum(u.input_tokens for u in usage),
            usage=usage,
            thread_id=event.thread_id,
            source=event.source,
            at=event.at,
        )
        items: list[Event] = [decision]
        for index, action in enumerate(actions):
            if isinstance(action, ReplyAction):
                items.append(
                    InboxItem(
                        item_id=f"i-{agent}-{cause.seq}-{index}",
                        domain=agent,
                        item="reply",
                        text=action.text,
                        priority=action.priority,
                        delivery="interrupt",
                        thread_id=event.thread_id,
                        source=event.source,
                        at=event.at,
                    )
                )
        self.append(*items)
        return decision
