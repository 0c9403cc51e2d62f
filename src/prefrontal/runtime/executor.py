"""The local executor: runs commissions on anyio with limits, time-outs and retries.

Global and per-worker concurrency limits; a time limit per attempt (a cancel scope);
retries with exponential backoff for retryable failures only (time-outs, 429 and 5xx);
cancellation by commission id. Every outcome becomes a ``Report``: a worker failure is data
for the orchestrator, never an exception that stops the runtime.

Taint: handles in a commission's inputs are resolved just before the worker runs (the worker
gets the real values; the journaled commission keeps the handles). Every report carries the
provenance of its output, and a failure's message is tainted unless the executor wrote it
from closed parts (a time-out, an undeclared worker, a cancellation).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING

import anyio

from prefrontal.clock import Clock
from prefrontal.errors import PrefrontalError, WorkerError, WorkerTimeoutError
from prefrontal.seam.bounds import Bounds, check_payload
from prefrontal.seam.events import Commission, CommissionStarted, Report, ReportError
from prefrontal.seam.taint import Provenance, handle_refs, is_evidence_ref, output_provenance
from prefrontal.seam.usage import Usage
from prefrontal.seam.work import CommissionContext, EvidenceReader, Worker, WorkerResult

if TYPE_CHECKING:
    from prefrontal.runtime.handles import HandleResolver


def _closed(error: PrefrontalError) -> PrefrontalError:
    """Mark a message the executor wrote from closed parts: it is not tainted."""
    error.__dict__["closed"] = True
    return error


class _Slots:
    """A slot of each limiter, in order, released in reverse: taken at once where one is
    free (no checkpoint: the usual case costs no trip through the event loop), else waited
    for. The limiters are semaphores: a ``CapacityLimiter`` also records which task holds
    each token, which asks asyncio for the current task on every take and release."""

    __slots__ = ("_held", "_limiters")

    def __init__(self, *limiters: anyio.Semaphore | None) -> None:
        self._limiters = [limiter for limiter in limiters if limiter is not None]
        self._held: list[anyio.Semaphore] = []

    async def __aenter__(self) -> None:
        for limiter in self._limiters:
            try:
                limiter.acquire_nowait()
            except anyio.WouldBlock:
                await limiter.acquire()
            self._held.append(limiter)

    async def __aexit__(self, *_: object) -> None:
        while self._held:
            self._held.pop().release()


def error_code(error: PrefrontalError) -> str:
    """``WorkerTimeoutError`` → ``worker_timeout``."""
    name = type(error).__name__.removesuffix("Error") or "error"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Executor:
    def __init__(
        self,
        workers: Mapping[str, Worker],
        *,
        clock: Clock,
        concurrency: int = 32,
        per_worker: Mapping[str, int] | None = None,
        max_output_bytes: Mapping[str, int] | None = None,
        backoff_s: float = 0.05,
        evidence: EvidenceReader | None = None,
        handles: HandleResolver | None = None,
        trusted: Collection[str] = (),
    ) -> None:
        self.workers = workers
        self.evidence = evidence
        self.handles = handles
        self.trusted = frozenset(trusted)
        self.clock = clock
        self.backoff_s = backoff_s
        self._global = anyio.Semaphore(concurrency)
        # A worker's own limit only where it binds (below the global one): an equal or
        # larger one could never hold a commission back, and would cost a limiter per run.
        self._limiters = {
            name: anyio.Semaphore(limit)
            for name in workers
            if (limit := (per_worker or {}).get(name, concurrency)) < concurrency
        }
        self._max_output = dict(max_output_bytes or {})
        self._scopes: dict[str, anyio.CancelScope] = {}

    @property
    def running(self) -> tuple[str, ...]:
        return tuple(self._scopes)

    def cancel(self, commission_id: str) -> bool:
        scope = self._scopes.get(commission_id)
        if scope is None:
            return False
        scope.cancel()
        return True

    async def execute(
        self, commission: Commission, *, started: Callable[[CommissionStarted], None]
    ) -> Report:
        """Run one commission to a report. ``started`` is told of every attempt."""
        begun = time.perf_counter()
        usage: list[Usage] = []
        kept: list[str] = []
        attempts = 0
        failure: PrefrontalError | None = None
        worker = self.workers.get(commission.worker)
        with anyio.CancelScope() as scope:
            self._scopes[commission.commission_id] = scope
            try:
                if worker is None:
                    failure = _closed(
                        WorkerError(
                            f"worker {commission.worker!r} is not declared; declared workers: "
                            f"{sorted(self.workers)}"
                        )
                    )
                else:
                    # The worker's own slot first: commissions queued on a stuck worker
                    # wait there, not on global slots that other domains' work needs.
                    own = self._limiters.get(commission.worker)
                    async with _Slots(own, self._global):
                        for attempt in range(1, commission.limits.retries + 2):
                            attempts = attempt
                            started(
                                CommissionStarted(
                                    commission_id=commission.commission_id,
                                    domain=commission.domain,
                                    attempt=attempt,
                                    at=self.clock.now(),
                                )
                            )
                            outcome = await self._attempt(worker, commission, attempt, usage, kept)
                            if isinstance(outcome, WorkerResult):
                                return self._report(
                                    commission, "ok", begun, attempts, usage, kept, outcome
                                )
                            failure = outcome
                            if not failure.retryable or attempt > commission.limits.retries:
                                break
                            await anyio.sleep(self.backoff_s * 2 ** (attempt - 1))
            finally:
                self._scopes.pop(commission.commission_id, None)
        cancelled = scope.cancel_called
        if cancelled:
            return self._report(
                commission,
                "cancelled",
                begun,
                attempts,
                usage,
                kept,
                error=ReportError(code="cancelled", message="cancelled", trusted=True),
            )
        if failure is None:  # pragma: no cover - every path above sets one
            failure = WorkerError(f"worker {commission.worker!r} made no attempt")
        return self._report(
            commission,
            "failed",
            begun,
            attempts,
            usage,
            kept,
            error=ReportError(
                code=error_code(failure),
                message=str(failure),
                retryable=failure.retryable,
                trusted=failure.__dict__.get("closed", False),
            ),
        )

    async def _attempt(
        self,
        worker: Worker,
        commission: Commission,
        attempt: int,
        usage: list[Usage],
        kept: list[str],
    ) -> WorkerResult | PrefrontalError:
        limits = commission.limits
        context = CommissionContext(
            idempotency_key=commission.commission_id,
            worker=commission.worker,
            attempt=attempt,
            constraints=commission.constraints,
            timeout_s=limits.timeout_s,
            max_tokens=limits.max_tokens,
            evidence=self.evidence,
        )
        try:
            inputs = dict(commission.inputs)
            if self.handles is not None:
                inputs = self.handles.expand(
                    inputs, domain=commission.domain, thread_id=commission.thread_id
                )
            # A bare scope with a deadline: ``fail_after`` costs twice as much per attempt.
            result: WorkerResult | None = None
            with anyio.CancelScope(deadline=anyio.current_time() + limits.timeout_s) as limit_scope:
                result = await worker.run(inputs, context)
            if limit_scope.cancelled_caught or result is None:  # the deadline passed
                raise TimeoutError
            limit = min(self._max_output.get(commission.worker, Bounds.PAYLOAD), Bounds.PAYLOAD)
            check_payload(
                f"output of worker {commission.worker!r}",
                result.output,
                limit,
                fix=f"return less, or raise max_output_bytes of [workers.{commission.worker}] "
                f"(at most {Bounds.PAYLOAD:,})",
            )
            return result
        except TimeoutError:
            return _closed(
                WorkerTimeoutError(
                    f"worker {commission.worker!r} ran past its {limits.timeout_s:g} s limit "
                    f"(attempt {attempt}); raise timeout_s in [workers.{commission.worker}]"
                )
            )
        except PrefrontalError as error:
            return error
        except Exception as error:  # a worker bug is reported, never fatal to the runtime
            return WorkerError(f"worker {commission.worker!r} raised {error!r}")
        finally:
            usage.extend(context.usage)
            kept.extend(context.kept)

    def _report(
        self,
        commission: Commission,
        status: str,
        begun: float,
        attempts: int,
        usage: list[Usage],
        kept: list[str],
        result: WorkerResult | None = None,
        *,
        error: ReportError | None = None,
    ) -> Report:
        evidence = (*kept, *(() if result is None else result.evidence))
        return Report(
            commission_id=commission.commission_id,
            domain=commission.domain,
            worker=commission.worker,
            status=status,  # type: ignore[arg-type]
            output=None if result is None else result.output,
            confidence=1.0 if result is None else result.confidence,
            evidence=evidence,
            error=error,
            usage=tuple(usage),
            attempts=attempts,
            duration_s=time.perf_counter() - begun,
            thread_id=commission.thread_id,
            source=commission.source,
            at=self.clock.now(),
            provenance=self._provenance(commission, result, evidence),
        )

    def _provenance(
        self, commission: Commission, result: WorkerResult | None, evidence: tuple[str, ...]
    ) -> Provenance:
        """Tainted by type, unless the worker is trusted and took no tainted input."""
        origin = f"worker {commission.worker!r}"
        worker = self.workers.get(commission.worker)
        if result is None or worker is None:
            return Provenance(origin=origin)
        untainted = not commission.tainted and not any(handle_refs(commission.inputs))
        minted = frozenset([commission.commission_id, *filter(is_evidence_ref, evidence)])
        return output_provenance(
            result.output,
            schema=worker.spec.output_schema,
            origin=origin,
            trusted=commission.worker in self.trusted and untainted,
            minted=minted,
        )
