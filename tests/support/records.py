"""Sample journal records for the journal's tests, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefrontal import (
    CommissionAction,
    DecisionEvent,
    Report,
    RequestEvent,
    RoutedEvent,
    Stored,
)
from prefrontal.seam import Commission, TimerSet, WorkerLimits

AT = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


def request(request_id: str, text: str = "warm the study") -> RequestEvent:
    return RequestEvent(request_id=request_id, text=text, at=AT)


def routed(request_id: str, domain: str = "home") -> RoutedEvent:
    return RoutedEvent(
        request=request(request_id), domain=domain, method="rules", reason="keyword", at=AT
    )


def decision(cause_seq: int, domain: str = "home", thread_id: str = "r1") -> DecisionEvent:
    return DecisionEvent(
        domain=domain,
        cause_seq=cause_seq,
        policy="rules:home",
        actions=(CommissionAction(worker="echo", inputs={"text": "x"}),),
        context_tokens=100,
        thread_id=thread_id,
        source="request",
        at=AT,
    )


def commission(commission_id: str, cause_seq: int) -> Commission:
    return Commission(
        commission_id=commission_id,
        domain="home",
        worker="echo",
        inputs={"text": "x"},
        limits=WorkerLimits(),
        cause_seq=cause_seq,
        thread_id="r1",
        source="request",
        at=AT,
    )


def report(commission_id: str, output: object = "done") -> Report:
    return Report(
        commission_id=commission_id,
        domain="home",
        worker="echo",
        status="ok",
        output=output,
        thread_id="r1",
        source="request",
        at=AT,
    )


def timer_set(timer_id: str, due_in_s: float) -> TimerSet:
    return TimerSet(
        timer_id=timer_id,
        domain="home",
        name=f"timer {timer_id}",
        due_at=AT + timedelta(seconds=due_in_s),
        thread_id="r1",
        at=AT,
    )


def seqs(stored: list[Stored | None]) -> list[int | None]:
    return [s.seq if s is not None else None for s in stored]
