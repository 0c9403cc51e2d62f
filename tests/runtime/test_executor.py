"""The executor: limits, time-outs, retries and cancellation; every outcome is a report."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest
from pydantic import BaseModel
from pydantic_ai.exceptions import ModelHTTPError

from prefrontal import (
    Commission,
    CommissionContext,
    LlmWorker,
    PayloadTooLargeError,
    PrefrontalError,
    ProviderError,
    RecordError,
    Report,
    ToolWorker,
    Worker,
    WorkerTimeoutError,
)
from prefrontal.runtime.executor import Executor, error_code
from prefrontal.seam import CommissionStarted, WorkerLimits
from prefrontal.testing import FakeClock, ScriptedModel, echo_worker

pytestmark = pytest.mark.anyio

AT = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def commission(
    commission_id: str = "home-1-0",
    worker: str = "echo",
    inputs: dict[str, Any] | None = None,
    *,
    timeout_s: float = 5.0,
    retries: int = 2,
    constraints: tuple[str, ...] = (),
) -> Commission:
    return Commission(
        commission_id=commission_id,
        domain="home",
        worker=worker,
        inputs={"text": "hi"} if inputs is None else inputs,
        constraints=constraints,
        limits=WorkerLimits(timeout_s=timeout_s, retries=retries),
        cause_seq=1,
        thread_id="r1",
        source="request",
        at=AT,
    )


def executor(workers: Mapping[str, Worker], **options: Any) -> Executor:
    options.setdefault("backoff_s", 0.001)
    return Executor(workers, clock=FakeClock(AT), **options)


class Starts:
    """A ``started`` callback that keeps what it was told."""

    def __init__(self) -> None:
        self.records: list[CommissionStarted] = []
        self.event = anyio.Event()

    def __call__(self, record: CommissionStarted) -> None:
        self.records.append(record)
        self.event.set()

    @property
    def attempts(self) -> list[int]:
        return [r.attempt for r in self.records]


class InFlight:
    """An async tool that counts how many calls run at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    async def __call__(self, n: int) -> int:
        self.now += 1
        self.most = max(self.most, self.now)
        await anyio.sleep(0.05)
        self.now -= 1
        return n


def counting_worker(name: str, counter: InFlight) -> ToolWorker:
    async def count(n: int) -> int:
        return await counter(n)

    return ToolWorker(name, count)


async def run_all(ex: Executor, commissions: list[Commission]) -> list[Report]:
    reports: list[Report] = []

    async def one(c: Commission) -> None:
        reports.append(await ex.execute(c, started=Starts()))

    async with anyio.create_task_group() as tg:
        for c in commissions:
            tg.start_soon(one, c)
    return reports


async def test_an_ok_report_carries_the_output() -> None:
    starts = Starts()

    report = await executor({"echo": echo_worker()}).execute(commission(), started=starts)

    assert report.status == "ok"
    assert report.ok
    assert report.output == {"text": "hi", "key": "home-1-0"}
    assert report.error is None
    assert report.attempts == 1
    assert (report.commission_id, report.domain, report.worker) == ("home-1-0", "home", "echo")
    assert (report.thread_id, report.source, report.at) == ("r1", "request", AT)
    assert report.duration_s > 0
    assert starts.records == [
        CommissionStarted(commission_id="home-1-0", domain="home", attempt=1, at=AT)
    ]


async def test_the_global_concurrency_limit_holds() -> None:
    counter = InFlight()
    ex = executor({"count": counting_worker("count", counter)}, concurrency=3)

    reports = await run_all(ex, [commission(f"c{i}", "count", {"n": i}) for i in range(10)])

    assert sorted(r.output for r in reports) == list(range(10))
    assert counter.most == 3


async def test_the_per_worker_limit_holds_and_leaves_others_alone() -> None:
    limited, free = InFlight(), InFlight()
    ex = executor(
        {"limited": counting_worker("limited", limited), "free": counting_worker("free", free)},
        concurrency=20,
        per_worker={"limited": 2},
    )
    batch = [commission(f"l{i}", "limited", {"n": i}) for i in range(6)]
    batch += [commission(f"f{i}", "free", {"n": i}) for i in range(6)]

    reports = await run_all(ex, batch)

    assert all(r.ok for r in reports)
    assert limited.most == 2
    assert free.most == 6


async def test_a_worker_that_times_out_is_retried_then_fails() -> None:
    async def stuck(text: str) -> str:
        await anyio.sleep(10)
        return text

    starts = Starts()
    ex = executor({"stuck": ToolWorker("stuck", stuck)})

    with anyio.fail_after(5):
        report = await ex.execute(
            commission(worker="stuck", timeout_s=0.05, retries=2), started=starts
        )

    assert report.status == "failed"
    assert report.attempts == 3
    assert starts.attempts == [1, 2, 3]
    assert report.error is not None
    assert report.error.code == "worker_timeout"
    assert report.error.retryable is True
    assert report.error.message == (
        "worker 'stuck' ran past its 0.05 s limit (attempt 3); raise timeout_s in [workers.stuck]"
    )


async def test_a_non_retryable_error_is_not_retried() -> None:
    def broken(text: str) -> str:
        raise ValueError(f"cannot read {text!r}")

    starts = Starts()
    ex = executor({"broken": ToolWorker("broken", broken)})

    report = await ex.execute(commission(worker="broken", retries=5), started=starts)

    assert report.status == "failed"
    assert report.attempts == 1
    assert starts.attempts == [1]
    assert report.error is not None
    assert report.error.code == "worker"
    assert report.error.retryable is False
    assert report.error.message == "worker 'broken' raised ValueError: cannot read 'hi'"


async def test_bad_inputs_fail_at_once_as_a_record_error() -> None:
    report = await executor({"echo": echo_worker()}).execute(
        commission(inputs={"txt": "hi"}), started=Starts()
    )

    assert report.attempts == 1
    assert report.error is not None
    assert report.error.code == "record"
    assert report.error.message.startswith("inputs of worker 'echo' do not match its schema: ")


async def test_a_flaky_worker_succeeds_on_its_third_attempt() -> None:
    calls: list[str] = []

    def flaky(text: str) -> str:
        calls.append(text)
        if len(calls) < 3:
            raise ProviderError("HTTP 503 from the weather service", retryable=True)
        return text.upper()

    starts = Starts()
    ex = executor({"flaky": ToolWorker("flaky", flaky)})

    report = await ex.execute(commission(worker="flaky", retries=2), started=starts)

    assert report.status == "ok"
    assert report.output == "HI"
    assert report.attempts == 3
    assert report.error is None
    assert starts.attempts == [1, 2, 3]
    assert len(calls) == 3


async def test_retries_stop_at_the_commissions_limit() -> None:
    def down(text: str) -> str:
        raise ProviderError("HTTP 503", retryable=True)

    starts = Starts()

    report = await executor({"down": ToolWorker("down", down)}).execute(
        commission(worker="down", retries=1), started=starts
    )

    assert report.attempts == 2
    assert starts.attempts == [1, 2]
    assert report.error is not None
    assert (report.error.code, report.error.retryable) == ("provider", True)


class Summary(BaseModel):
    headline: str


def summarizer(model: ScriptedModel) -> LlmWorker:
    return LlmWorker(
        "summarize", model, tier="cheap", instructions="Summarise.", output_type=Summary
    )


async def test_an_llm_worker_rate_limited_every_time_fails_as_provider() -> None:
    model = ScriptedModel([ModelHTTPError(429, "claude-haiku-4-5", body="rate limited")])
    starts = Starts()

    report = await executor({"summarize": summarizer(model)}).execute(
        commission(worker="summarize", retries=2), started=starts
    )

    assert report.status == "failed"
    assert report.attempts == 3
    assert model.calls == 3
    assert starts.attempts == [1, 2, 3]
    assert report.error is not None
    assert report.error.code == "provider"
    assert report.error.retryable is True
    assert report.error.message == (
        "worker 'summarize': tier 'cheap' (model 'claude-haiku-4-5') answered HTTP 429"
    )
    assert report.evidence == ('the server\'s answer (untrusted): "rate limited"',) * 3


async def test_the_usage_of_every_failed_attempt_is_kept() -> None:
    # Each attempt: one malformed response (metered), then a 429 on the output retry.
    rate_limited = ModelHTTPError(429, "claude-haiku-4-5", body="rate limited")
    model = ScriptedModel(["not json", rate_limited] * 3)

    report = await executor({"summarize": summarizer(model)}).execute(
        commission(worker="summarize", retries=2), started=Starts()
    )

    assert report.status == "failed"
    assert report.attempts == 3
    assert model.calls == 6
    # Per attempt: the malformed response, then the rate-limited request (no tokens).
    assert [(u.tier, u.model, u.input_tokens, u.output_tokens) for u in report.usage] == [
        ("cheap", "claude-haiku-4-5", 100, 20),
        ("cheap", "claude-haiku-4-5", 0, 0),
    ] * 3


async def test_output_over_max_output_bytes_fails_as_payload_too_large() -> None:
    def chatty(text: str) -> str:
        return text * 100

    ex = executor({"chatty": ToolWorker("chatty", chatty)}, max_output_bytes={"chatty": 100})

    report = await ex.execute(commission(worker="chatty"), started=Starts())

    assert report.status == "failed"
    assert report.output is None
    assert report.attempts == 1
    assert report.error is not None
    assert report.error.code == "payload_too_large"
    assert report.error.retryable is False
    assert report.error.message.startswith(
        "output of worker 'chatty' is 202 bytes of JSON; the limit is 100: return less, or "
        "raise max_output_bytes of [workers.chatty] (at most 65,536)."
    )


async def test_output_over_the_seams_bound_is_still_a_report() -> None:
    def huge(text: str) -> str:
        return text * 40_000

    ex = executor({"huge": ToolWorker("huge", huge)}, max_output_bytes={"huge": 1_000_000})

    report = await ex.execute(commission(worker="huge"), started=Starts())

    assert report.status == "failed"
    assert report.error is not None
    assert report.error.code == "payload_too_large"


async def test_cancel_ends_a_running_commission_as_cancelled() -> None:
    async def slow(text: str) -> str:
        await anyio.sleep(10)
        return text

    ex = executor({"slow": ToolWorker("slow", slow)})
    starts = Starts()
    reports: list[Report] = []

    async def run() -> None:
        reports.append(await ex.execute(commission("c-slow", "slow"), started=starts))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await starts.event.wait()
            assert ex.running == ("c-slow",)
            assert ex.cancel("c-slow") is True

    [report] = reports
    assert report.status == "cancelled"
    assert report.attempts == 1
    assert report.error is not None
    assert report.error.code == "cancelled"
    assert ex.running == ()
    assert ex.cancel("c-slow") is False


async def test_cancelling_an_unknown_commission_does_nothing() -> None:
    assert executor({"echo": echo_worker()}).cancel("never-issued") is False


async def test_an_unknown_worker_fails_naming_the_declared_workers() -> None:
    starts = Starts()
    ex = executor({"echo": echo_worker(), "lights": echo_worker("lights")})

    report = await ex.execute(commission(worker="fft"), started=starts)

    assert report.status == "failed"
    assert report.attempts == 0
    assert starts.records == []
    assert report.error is not None
    assert report.error.code == "worker"
    assert report.error.message == (
        "worker 'fft' is not declared; declared workers: ['echo', 'lights']"
    )


async def test_each_attempt_gets_a_fresh_context_with_the_same_key() -> None:
    seen: list[tuple[str, int, tuple[str, ...]]] = []

    def keyed(text: str, context: CommissionContext) -> str:
        seen.append((context.idempotency_key, context.attempt, context.constraints))
        if context.attempt < 2:
            raise ProviderError("HTTP 502", retryable=True)
        return text

    report = await executor({"keyed": ToolWorker("keyed", keyed)}).execute(
        commission("home-9-1", "keyed", constraints=("quietly",)), started=Starts()
    )

    assert report.ok
    assert seen == [("home-9-1", 1, ("quietly",)), ("home-9-1", 2, ("quietly",))]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ProviderError("x"), "provider"),
        (WorkerTimeoutError("x"), "worker_timeout"),
        (PayloadTooLargeError("x"), "payload_too_large"),
        (RecordError("x"), "record"),
    ],
)
def test_error_codes_are_snake_case_names(error: PrefrontalError, code: str) -> None:
    assert error_code(error) == code
