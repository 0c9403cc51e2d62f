"""The household's rule policies: plain, deterministic Python, no model.

Each is ``(state, event) -> Decision``. They read the principal's words with simple patterns,
commission the worker that does the precise work, and turn reports into replies. They never
do the work themselves: the action space has no domain tools. They decide from closed values
(numbers, Literals, what trusted workers computed); tainted text from outside (a payee as the
payment service wrote it, a confirmation, a failure's message) arrives as a handle, which
they pass on to the principal in a reply or a note, never read.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from prefrontal import (
    ApprovalEvent,
    CommissionAction,
    Decision,
    DomainView,
    EscalateAction,
    InboundEvent,
    Percept,
    RememberAction,
    ReplyAction,
    Report,
    RoutedEvent,
    ScheduleAction,
    TimerEvent,
)

_NUMBER = r"(\d+(?:\.\d+)?)"


def _until(now: datetime, hhmm: str) -> float:
    hours, minutes = (int(p) for p in hhmm.split(":"))
    due = now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    if due <= now:
        due += timedelta(days=1)
    return (due - now).total_seconds()


def _failed(event: Report) -> Decision:
    reason = event.error.message if event.error else event.status
    return Decision.of(EscalateAction(text=f"{event.worker} failed: {reason}"))


# -- home --------------------------------------------------------------------------------


def home(state: DomainView, event: InboundEvent) -> Decision:
    if isinstance(event, RoutedEvent):
        return _home_request(state, event)
    if isinstance(event, Percept):
        return _home_percept(state, event)
    if isinstance(event, TimerEvent) and event.name == "lights off":
        return Decision.of(CommissionAction(worker="lights", inputs={"room": "all", "on": False}))
    if isinstance(event, Report):
        if not event.ok:
            return _failed(event)
        out = event.output
        if event.worker == "thermostat":
            return Decision.of(
                ReplyAction(text=f"The {out['room']} is set to {out['celsius']} °C.")
            )
        if event.worker == "weather":
            text = (
                f"Today: {out['summary']}, {out['low_c']}-{out['high_c']} °C, "
                f"{out['rain_mm']} mm of rain."
            )
            return Decision.of(ReplyAction(text=text))
        if event.worker == "relisten":
            text = f"Someone is calling you, from your {out['side']} ({out['azimuth_deg']:+.0f}°)."
            return Decision.of(ReplyAction(text=text, priority="urgent"))
        if event.worker == "boiler_trend":
            return _boiler(out)
        if event.worker == "lights":
            state_word = "on" if out["on"] else "off"
            return Decision.of(
                ReplyAction(text=f"Lights {state_word} ({out['room']}).", priority="low")
            )
    return Decision.of()


_BOILER = "boiler:"
_RISING_PER_HOUR = 10.0


def _boiler_watched(state: DomainView) -> bool:
    notes = [n for n in state.memory if n.startswith(_BOILER)]
    return bool(notes) and not notes[-1].startswith(f"{_BOILER} steady")


def _boiler(trend: dict[str, float]) -> Decision:
    """Escalate a real rise once; a slow wander is only remembered."""
    reading = f"{trend['latest']:.1f} °C, {trend['per_hour']:+.1f} °C an hour"
    if trend["per_hour"] < _RISING_PER_HOUR:
        return Decision.of(RememberAction(note=f"{_BOILER} steady at {reading}"))
    text = f"The boiler is at {reading} and rising. Call the heating engineer?"
    return Decision.of(
        EscalateAction(text=text, priority="urgent"),
        RememberAction(note=f"{_BOILER} alerted at {reading}"),
    )


def _home_percept(state: DomainView, event: Percept) -> Decision:
    """Percepts arrive typed and compressed; the policy never sees a sample."""
    if event.name == "speech" and state.principal.lower() in event.fields.get("words", []):
        if event.evidence:  # drill down: re-check the direction on the whole stored window
            return Decision.of(
                CommissionAction(worker="relisten", inputs={"evidence": event.evidence})
            )
        return Decision.of(ReplyAction(text=f"Heard {event.rendering}.", priority="urgent"))
    if event.name == "sound" and event.fields.get("kind") == "knock":
        return Decision.of(ReplyAction(text=f"Heard {event.rendering}."))
    if event.name in ("telemetry.change", "telemetry.anomaly") and event.evidence:
        if _boiler_watched(state):
            return Decision.of()  # a check is out, or the principal knows: no second alarm
        return Decision.of(
            CommissionAction(worker="boiler_trend", inputs={"evidence": event.evidence}),
            RememberAction(note=f"{_BOILER} checking {event.rendering}"),
        )
    if event.name in ("sense.failure", "sense.stopped"):
        return Decision.of(EscalateAction(text=event.rendering))
    return Decision.of()


def _home_request(state: DomainView, event: RoutedEvent) -> Decision:
    text = event.text.lower()
    heat = re.search(rf"(?:heating|temperature|thermostat).*?{_NUMBER}", text)
    if heat:
        room = "bedroom" if "bedroom" in text else "living room"
        inputs = {"room": room, "celsius": float(heat[1])}
        return Decision.of(
            CommissionAction(worker="thermostat", inputs=inputs, constraints=state.never)
        )
    if "weather" in text:
        day = event.at.date().isoformat()
        return Decision.of(CommissionAction(worker="weather", inputs={"day": day}))
    if "lights" in text:
        at = re.search(r"at (\d{1,2}:\d{2})", text)
        on = " on" in f" {text}" and " off" not in f" {text}"
        if at:
            return Decision.of(
                ScheduleAction(
                    name="lights off" if not on else "lights on", after_s=_until(event.at, at[1])
                ),
                ReplyAction(text=f"I'll switch the lights off at {at[1]}.", priority="low"),
            )
        return Decision.of(CommissionAction(worker="lights", inputs={"room": "all", "on": on}))
    return Decision.of(
        ReplyAction(text="Home can do heating, lights and the weather.", priority="low")
    )


# -- health ------------------------------------------------------------------------------


def health(state: DomainView, event: InboundEvent) -> Decision:
    if isinstance(event, RoutedEvent):
        return _health_request(event)
    if isinstance(event, TimerEvent) and event.name == "dose":
        medicine = event.payload.get("medicine", "your medicine")
        return Decision.of(
            CommissionAction(worker="send_text", inputs={"text": f"Time to take {medicine}."})
        )
    if isinstance(event, Report):
        if not event.ok:
            return _failed(event)
        out = event.output
        if event.worker == "step_stats":
            trend = "up" if out["trend_per_day"] > 0 else "down"
            text = (
                f"Steps: mean {out['mean']:.0f}, median {out['median']:.0f}, best "
                f"{out['best']:.0f}; trending {trend} {abs(out['trend_per_day']):.0f}/day."
            )
            return Decision.of(ReplyAction(text=text), RememberAction(note=text))
        if event.worker == "dose_schedule":
            return Decision.of(
                ScheduleAction(
                    name="dose",
                    after_s=_until(event.at, out["at"]),
                    payload={"medicine": out["medicine"]},
                ),
                RememberAction(note=f"{out['medicine']} daily at {out['at']}"),
                ReplyAction(
                    text=f"I'll remind you to take {out['medicine']} at {out['at']}.",
                    priority="low",
                ),
            )
        if event.worker == "send_text":
            return Decision.of(ReplyAction(text=f"Reminder sent: {out['sent']}", priority="urgent"))
    return Decision.of()


def _health_request(event: RoutedEvent) -> Decision:
    text = event.text.lower()
    if "steps" in text:
        steps = [int(n) for n in re.findall(r"\d+", text)]
        return Decision.of(CommissionAction(worker="step_stats", inputs={"steps": steps}))
    remind = re.search(r"remind me to take (.+?) at (\d{1,2}:\d{2})", text)
    if remind:
        inputs = {"medicine": remind[1], "at": remind[2]}
        return Decision.of(CommissionAction(worker="dose_schedule", inputs=inputs))
    if "dentist" in text or "doctor" in text:
        return Decision.of(
            RememberAction(note=f"wants an appointment: {event.text}"),
            ReplyAction(text="I can't book appointments; please call the practice. Noted it."),
        )
    return Decision.of(
        ReplyAction(text="Health can track steps and remind you of medicine.", priority="low")
    )


# -- money -------------------------------------------------------------------------------

_AUTOPAY_LIMIT = 50


def money(state: DomainView, event: InboundEvent) -> Decision:
    if isinstance(event, RoutedEvent):
        return _money_request(state, event)
    if isinstance(event, ApprovalEvent) and not event.approved:
        return Decision.of(ReplyAction(text="Understood: nothing was paid.", priority="low"))
    if isinstance(event, Report):
        if not event.ok:
            return _failed(event)
        out = event.output
        if event.worker == "expense_total":
            return Decision.of(
                ReplyAction(text=f"Logged {out['count']} expenses, {out['total']} in total."),
                RememberAction(note=f"{event.at:%Y-%m-%d}: spent {out['total']}"),
            )
        if event.worker == "pay_bill":
            return Decision.of(
                ReplyAction(
                    text=f"Paid {out['amount']} to {out['payee']} ({out['confirmation']})."
                ),
                RememberAction(note=f"{event.at:%Y-%m-%d}: paid {out['amount']} to {out['payee']}"),
            )
    return Decision.of()


def _money_request(state: DomainView, event: RoutedEvent) -> Decision:
    text = event.text.lower()
    pay = re.search(rf"pay (?:the )?(.+?) bill of {_NUMBER}", text)
    if pay:
        payment = CommissionAction(
            worker="pay_bill", inputs={"payee": pay[1], "amount": pay[2]}, constraints=state.never
        )
        if float(pay[2]) >= _AUTOPAY_LIMIT:
            return Decision.of(
                EscalateAction(
                    text=f"Pay {pay[2]} for the {pay[1]} bill?",
                    priority="urgent",
                    proposed=(payment,),
                )
            )
        return Decision.of(payment)
    spent = re.findall(rf"{_NUMBER} on ([a-z ]+?)(?:,| and |$)", text)
    if spent:
        items = [{"label": label.strip(), "amount": amount} for amount, label in spent]
        return Decision.of(CommissionAction(worker="expense_total", inputs={"items": items}))
    if "budget" in text:
        notes = [m for m in state.memory if "spent" in m or "paid" in m]
        summary = "; ".join(notes) if notes else "nothing recorded yet"
        return Decision.of(ReplyAction(text=f"Money so far: {summary}."))
    return Decision.of(ReplyAction(text="Money can log expenses and pay bills.", priority="low"))
