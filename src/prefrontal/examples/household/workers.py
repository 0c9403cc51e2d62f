"""The household's workers: typed tool functions doing exact, bounded work.

Each is stateless and sees only its commission. Side effects (a payment, a text message)
are keyed on the commission's idempotency key, so a resumed commission does them once.
The workers that answer from outside (weather, payments, texts) return typed records, so
their closed parts (a Literal, numbers) stay readable and their free text becomes handles.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel
from typing_extensions import TypedDict

from prefrontal import CommissionContext, WorkerError


class Expense(BaseModel):
    label: str
    amount: str


def thermostat(room: str, celsius: float, context: CommissionContext) -> dict[str, object]:
    """Set a room's target temperature (5-30 °C)."""
    if not 5 <= celsius <= 30:
        raise WorkerError(f"thermostat: {celsius} °C is outside 5-30 °C; ask for a value in range")
    return {"room": room, "celsius": celsius, "applied": context.idempotency_key}


def lights(room: str, on: bool) -> dict[str, object]:
    """Switch the lights of a room ('all' for the whole house)."""
    return {"room": room, "on": on}


class Forecast(TypedDict):
    day: str
    summary: Literal["sunny", "cloudy", "rain"]
    high_c: int
    low_c: int
    rain_mm: int


class Payment(TypedDict):
    payee: str
    amount: str
    confirmation: str


class TextSent(TypedDict):
    sent: str
    message_id: str


def weather(day: str) -> Forecast:
    """A sample forecast for a day, generated offline from the date (no network)."""
    seed = int(hashlib.sha256(day.encode()).hexdigest()[:8], 16)
    high = 8 + seed % 14
    rain = (seed >> 8) % 9
    summary: Literal["sunny", "cloudy", "rain"] = (
        "rain" if rain > 5 else "cloudy" if rain > 2 else "sunny"
    )
    return {"day": day, "summary": summary, "high_c": high, "low_c": high - 7, "rain_mm": rain}


def step_stats(steps: list[int]) -> dict[str, float]:
    """Exact statistics of daily step counts: mean, median, best, and least-squares trend."""
    if len(steps) < 2:
        raise WorkerError(f"step_stats needs at least two days of steps; got {steps}")
    days = list(range(len(steps)))
    slope = statistics.linear_regression(days, steps).slope
    return {
        "mean": round(statistics.fmean(steps), 1),
        "median": float(statistics.median(steps)),
        "best": float(max(steps)),
        "trend_per_day": round(slope, 1),
    }


def dose_schedule(medicine: str, at: str) -> dict[str, str]:
    """Check a reminder time (HH:MM, 24 h) for a medicine."""
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", at)
    if match is None:
        raise WorkerError(f"dose_schedule: {at!r} is not a time; use HH:MM, e.g. '13:00'")
    return {"medicine": medicine, "at": f"{int(match[1]):02d}:{match[2]}"}


def expense_total(items: list[Expense]) -> dict[str, str]:
    """Add up expenses exactly (decimal arithmetic, never floats)."""
    try:
        amounts = [Decimal(item.amount) for item in items]
    except InvalidOperation:
        bad = [i.amount for i in items]
        raise WorkerError(
            f"expense_total: amounts must be decimals like '12.40'; got {bad}"
        ) from None
    return {"total": str(sum(amounts, Decimal(0))), "count": str(len(amounts))}


def pay_bill(payee: str, amount: str, context: CommissionContext) -> Payment:
    """Pay a bill through the payment service (a fee is charged per payment)."""
    return {"payee": payee, "amount": amount, "confirmation": f"pay-{context.idempotency_key}"}


def send_text(text: str, context: CommissionContext) -> TextSent:
    """Send the principal a text message through the SMS gateway (priced per message)."""
    return {"sent": text[:160], "message_id": f"sms-{context.idempotency_key}"}


def boiler_trend(evidence: str, context: CommissionContext) -> dict[str, float]:
    """Exact least-squares trend of the readings kept behind a telemetry percept (per hour)."""
    if context.evidence is None:
        raise WorkerError("boiler_trend needs the evidence store of a system with senses")
    window = context.evidence.get(evidence).samples
    times, values = [float(t) for t in window[:, 0]], [float(v) for v in window[:, 1]]
    if len(values) < 2:
        raise WorkerError(f"evidence {evidence!r} holds {len(values)} readings; need at least 2")
    fit = statistics.linear_regression(times, values)
    return {
        "per_hour": round(fit.slope * 3600, 2),
        "latest": round(values[-1], 2),
        "mean": round(statistics.fmean(values), 2),
        "minutes": round((times[-1] - times[0]) / 60, 1),
    }
