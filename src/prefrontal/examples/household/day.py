"""A scripted day for the household: requests, answers and timers at fixed times."""

from __future__ import annotations

from dataclasses import dataclass


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
