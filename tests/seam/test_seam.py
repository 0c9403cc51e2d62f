"""The seam: frozen records, one codec for every event kind, bounds that reject, never cut."""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from prefrontal import (
    ApprovalEvent,
    Commission,
    CommissionAction,
    Decision,
    DecisionEvent,
    EscalateAction,
    HandOffAction,
    HandOffEvent,
    InboxItem,
    PayloadTooLargeError,
    Percept,
    RecordError,
    RememberAction,
    ReplyAction,
    Report,
    RequestEvent,
    RoutedEvent,
    ScheduleAction,
    TimerCancelled,
    TimerEvent,
    Usage,
    WaitAction,
    WorkerSpec,
)
from prefrontal.seam import (
    AttentionEvent,
    CommissionStarted,
    Event,
    GuardTrip,
    ReportError,
    TimerSet,
    WorkerLimits,
    decode_event,
    encode_event,
)

AT = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
REQUEST = RequestEvent(request_id="r1", text="warm the study to 21", address="home", at=AT)
COMMISSION_ACTION = CommissionAction(
    worker="thermostat", inputs={"room": "study", "celsius": 21}, constraints=("never above 24",)
)
HAIKU_USAGE = Usage(
    tier="cheap",
    model="claude-haiku-4-5",
    provider="anthropic",
    requests=1,
    input_tokens=100,
    output_tokens=20,
    cost_usd=Decimal("0.0002"),
)


def one_of_each_kind() -> list[Event]:
    return [
        REQUEST,
        RoutedEvent(
            request=REQUEST,
            domain="home",
            method="rules",
            reason="keyword 'warm'",
            usage=(HAIKU_USAGE,),
            at=AT,
        ),
        Commission(
            commission_id="home-2-0",
            domain="home",
            worker="thermostat",
            inputs={"room": "study", "celsius": 21},
            constraints=("never above 24",),
            limits=WorkerLimits(timeout_s=5.0, max_tokens=256, max_cost_usd=0.01, retries=1),
            cause_seq=2,
            at=AT,
            thread_id="r1",
            source="request",
        ),
        CommissionStarted(commission_id="home-2-0", domain="home", attempt=2, at=AT),
        Report(
            commission_id="home-2-0",
            domain="home",
            worker="thermostat",
            status="failed",
            output={"set": 21},
            error=ReportError(code="provider", message="HTTP 429", retryable=True),
            usage=(HAIKU_USAGE, Usage(tier="tool", requests=1, cost_usd=Decimal("0.0079"))),
            confidence=0.5,
            evidence=("evidence/1",),
            attempts=3,
            duration_s=1.25,
            at=AT,
            thread_id="r1",
            source="request",
        ),
        Percept(
            percept_id="p1",
            domain="home",
            sense="microphone",
            sense_version="1.2",
            name="speech",
            fields={"words": ["alex"], "bearing_deg": -40.0},
            rendering="a voice, saying your name, to your left",
            confidence=0.875,
            span=(10.0, 11.5),
            evidence="audio/p1.wav",
            compression=512.0,
            at=AT,
        ),
        TimerSet(
            timer_id="t1",
            domain="home",
            name="check heating",
            due_at=AT + timedelta(minutes=30),
            payload={"room": "study"},
            thread_id="r1",
            at=AT,
        ),
        TimerEvent(
            timer_id="t1",
            domain="home",
            name="check heating",
            payload={"n": 1},
            thread_id="r1",
            at=AT,
        ),
        TimerCancelled(timer_id="t2", domain="home", at=AT),
        HandOffEvent(
            handoff_id="h1",
            from_domain="home",
            domain="money",
            text="pay the heating bill",
            payload={"amount": 82.5},
            depth=1,
            at=AT,
            thread_id="r1",
            source="request",
        ),
        ApprovalEvent(
            item_id="i1",
            domain="money",
            approved=True,
            note="fine",
            proposed=(COMMISSION_ACTION,),
            at=AT,
            thread_id="r1",
            source="request",
        ),
        DecisionEvent(
            domain="home",
            cause_seq=2,
            policy="rules:home",
            actions=(
                COMMISSION_ACTION,
                ReplyAction(text="warming the study", priority="low"),
                EscalateAction(text="approve?", proposed=(COMMISSION_ACTION,), evidence=("e",)),
                RememberAction(note="likes 21"),
                HandOffAction(domain="money", text="bill", payload={"x": 1}),
                ScheduleAction(name="recheck", after_s=1800, payload={"room": "study"}),
                WaitAction(reason="waiting for the report"),
            ),
            rationale="the principal asked",
            trips=(GuardTrip(guard="identical", detail="dropped a repeat"),),
            context_tokens=812,
            usage=(HAIKU_USAGE,),
            at=AT,
            thread_id="r1",
            source="request",
        ),
        InboxItem(
            item_id="i1",
            domain="money",
            item="escalation",
            text="pay 82.50?",
            priority="urgent",
            delivery="digest",
            needs_answer=True,
            proposed=(COMMISSION_ACTION,),
            evidence=("bill.pdf",),
            options=("approve", "deny"),
            at=AT,
            thread_id="r1",
            source="request",
        ),
        AttentionEvent(
            attention_id="a-home-3-0",
            domain="home",
            sense="ears",
            settings={"listen_for": ["alex"], "threshold": 0.7},
            thread_id="r1",
            at=AT,
        ),
    ]


def declared_kinds() -> set[str]:
    union = typing.get_args(Event)[0]
    return {member.model_fields["kind"].default for member in typing.get_args(union)}


def test_the_examples_cover_every_event_kind() -> None:
    assert {event.kind for event in one_of_each_kind()} == declared_kinds()
    assert len(declared_kinds()) == 14


@pytest.mark.parametrize("event", one_of_each_kind(), ids=lambda e: e.kind)
def test_every_event_kind_round_trips(event: Event) -> None:
    encoded = encode_event(event)

    decoded = decode_event(encoded)

    assert type(decoded) is type(event)
    assert decoded == event
    assert decode_event(encoded.encode()) == event
    assert encode_event(decoded) == encoded


def test_money_survives_the_codec_exactly() -> None:
    report = next(e for e in one_of_each_kind() if isinstance(e, Report))

    decoded = decode_event(encode_event(report))

    assert isinstance(decoded, Report)
    assert [u.cost_usd for u in decoded.usage] == [Decimal("0.0002"), Decimal("0.0079")]


def test_records_are_frozen() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        REQUEST.text = "something else"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        COMMISSION_ACTION.worker = "lights"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        HAIKU_USAGE.input_tokens = 1  # type: ignore[misc]
    spec = WorkerSpec(name="w", kind="tool", description="", input_schema={}, output_schema={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "v"  # type: ignore[misc]


def test_records_refuse_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        ReplyAction(text="hi", colour="blue")  # type: ignore[call-arg]


def test_an_oversized_reply_is_refused_with_size_limit_and_fix() -> None:
    with pytest.raises(PayloadTooLargeError) as caught:
        ReplyAction(text="x" * 8_001)

    assert str(caught.value) == (
        "reply text is 8,001 characters; the limit is 8,000. Send a shorter text, or keep the "
        "long content as evidence and send a reference."
    )


def test_a_reply_at_the_limit_is_kept_whole() -> None:
    assert len(ReplyAction(text="x" * 8_000).text) == 8_000


def test_oversized_commission_inputs_are_refused_with_size_and_limit() -> None:
    # {"text":"xxx…"}: 9 bytes of framing + 70,000 + 2.
    with pytest.raises(PayloadTooLargeError) as caught:
        CommissionAction(worker="summarize", inputs={"text": "x" * 70_000})

    assert str(caught.value).startswith(
        "inputs of a commission to 'summarize' is 70,011 bytes of JSON; the limit is 65,536: "
    )


def test_oversized_commission_inputs_suggest_a_fix_that_applies() -> None:
    with pytest.raises(PayloadTooLargeError) as caught:
        CommissionAction(worker="summarize", inputs={"text": "x" * 70_000})

    assert "max_output_bytes" not in str(caught.value)


def test_an_oversized_report_output_is_refused_with_size_limit_and_fix() -> None:
    with pytest.raises(PayloadTooLargeError) as caught:
        Report(
            commission_id="c1",
            domain="home",
            worker="weather",
            status="ok",
            output=["x" * 70_000],
            thread_id="r1",
            source="request",
            at=AT,
        )

    # ["xxx…"]: 2 bytes of framing + 70,000 + 2.
    assert str(caught.value) == (
        "output of worker 'weather' is 70,004 bytes of JSON; the limit is 65,536: return less, "
        "or summarise and keep the rest as evidence."
    )


def test_too_many_constraints_are_refused() -> None:
    with pytest.raises(PayloadTooLargeError) as caught:
        CommissionAction(worker="w", constraints=tuple(f"rule {i}" for i in range(33)))

    assert str(caught.value) == "constraints has 33 items; the limit is 32. Send fewer items."


def test_a_decision_with_too_many_actions_is_refused() -> None:
    with pytest.raises(PayloadTooLargeError) as caught:
        Decision.of(*[WaitAction() for _ in range(65)])

    assert str(caught.value) == (
        "a decision's actions has 65 items; the limit is 64. Send fewer items."
    )


def test_a_decision_at_the_limit_keeps_its_commissions() -> None:
    decision = Decision.of(COMMISSION_ACTION, *[WaitAction() for _ in range(63)])

    assert len(decision.actions) == 64
    assert decision.commissions == [COMMISSION_ACTION]


def test_an_oversized_memory_note_is_refused() -> None:
    with pytest.raises(PayloadTooLargeError, match="memory note is 1,001 characters"):
        RememberAction(note="n" * 1_001)


@pytest.mark.parametrize(
    "garbage",
    ["not json at all", "{}", '{"kind": "telepathy"}', '{"kind": "request", "text": "hi"}'],
)
def test_garbage_does_not_decode(garbage: str) -> None:
    with pytest.raises(RecordError) as caught:
        decode_event(garbage)

    message = str(caught.value)
    assert message.startswith("a journal record does not match any event kind: ")
    assert repr(garbage) in message
    assert message.endswith("The journal may have been written by a newer Prefrontal.")


def test_a_long_garbage_record_is_quoted_in_part() -> None:
    with pytest.raises(RecordError) as caught:
        decode_event("z" * 5_000)

    assert repr("z" * 200) in str(caught.value)
    assert "z" * 201 not in str(caught.value)
