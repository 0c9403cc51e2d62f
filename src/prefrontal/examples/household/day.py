"""A scripted day for the household: requests, answers and timers at fixed times."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from prefrontal import ManualClock, System, UsageError, inbox_entries

DATE = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Step:
    """At ``at`` (HH:MM): ask something, or answer the newest pending inbox item."""

    at: str
    ask: str | None = None
    approve: str | None = None
    deny: str | None = None
    route: str | None = None


DAY: tuple[Step, ...] = (
    Step("07:00", ask="set the heating to 21 in the living room"),
    Step("07:05", ask="what's the weather today?"),
    Step("08:30", ask="log my steps: 4200, 5100, 6100, 3900, 7000, 8000, 7600"),
    Step("09:00", ask="I spent 12.40 on groceries, 3.10 on coffee and 45.99 on books"),
    Step("10:00", ask="pay the electricity bill of 84.20"),
    Step("10:10", approve="money"),
    Step("11:00", ask="pay the water bill of 30.00"),
    Step("11:30", ask="pay the internet bill of 40.00"),
    Step("11:35", deny="money"),
    Step("12:00", ask="remind me to take vitamin D at 13:00"),
    Step("15:00", ask="turn off the lights and call the dentist"),
    Step("15:05", route="health"),
    Step("18:00", ask="@home turn off the lights at 22:00"),
    Step("19:00", ask="how is my budget?"),
    Step("23:00"),
)


def at(step: Step) -> datetime:
    hours, minutes = (int(p) for p in step.at.split(":"))
    return DATE.replace(hour=hours, minute=minutes)


START = at(DAY[0])


async def advance(system: System, clock: ManualClock, target: datetime) -> None:
    """Move the clock to ``target``, firing each timer at its own time on the way."""
    while (due := system.journal.next_timer()) is not None and due <= target:
        clock.set(max(due, clock.now()))
        await system.run_until_idle()
    clock.set(max(target, clock.now()))


def newest_pending(system: System, kind: str, domain: str | None) -> str:
    pending = [
        e.item.item_id
        for e in inbox_entries(system.journal)
        if e.pending and e.item.item == kind and (domain is None or e.item.domain == domain)
    ]
    if not pending:
        raise UsageError(f"the scripted day expected a pending {kind} from {domain or 'router'}")
    return pending[-1]


async def run_day(
    system: System, clock: ManualClock, on_step: Callable[[Step, str], None] | None = None
) -> None:
    """Play the day through ``system``; ``on_step(step, item_id)`` is told of each step."""
    for step in DAY:
        await advance(system, clock, at(step))
        item = ""
        if step.approve or step.deny:
            item = newest_pending(system, "escalation", step.approve or step.deny)
        elif step.route:
            item = newest_pending(system, "question", None)
        if on_step is not None:
            on_step(step, item)
        if step.ask:
            await system.submit(step.ask)
        elif step.approve or step.deny:
            await system.answer(item, approved=bool(step.approve))
        elif step.route:
            await system.route(item, step.route)
        await system.run_until_idle()
