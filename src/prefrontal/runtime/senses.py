"""The sense host: runs each sense under supervision and journals its percepts.

Each sense runs on its own thread and event loop, at its own rate, so a sense that blocks
cannot stall the orchestrators; one whose loop stops beating for ``stall_s`` is reported to
its domains as a ``sense.stalled`` percept. Its observations pass through a bounded
stream (back-pressure) and a storm guard, then become one ``Percept`` per subscribed domain,
journaled like every other inbound event. A sense that raises is restarted with backoff, and
each failure is reported to its domains as a ``sense.failure`` percept; after
``max_restarts`` it stops and says so; bad input (a ``UsageError`` such as a corrupt file)
stops it at once, since it would fail the same way again. Attention requests reach the
sense after the decision that made them is journaled, and the sense's answer comes back as
a ``sense.attention`` percept.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import anyio
import anyio.from_thread
import anyio.lowlevel

import prefrontal.offload as offload
from prefrontal.clock import Clock
from prefrontal.errors import PrefrontalError, UsageError
from prefrontal.seam.events import AttentionEvent
from prefrontal.seam.percept import Percept
from prefrontal.seam.taint import Provenance
from prefrontal.senses.base import Observation, Sense
from prefrontal.senses.stream import PerceptStream, StormGuard, StreamStatistics

Committer = Callable[[list[Percept]], Awaitable[None]]

DEFAULT_STALL_S = 10.0
_BEAT_S = 0.05


@dataclass(slots=True)
class SenseStatus:
    name: str
    running: bool = False
    restarts: int = 0
    percepts: int = 0
    failures: tuple[str, ...] = ()
    stream: StreamStatistics | None = None
    stalled: bool = False
    beat: float = 0.0


class SenseHost:
    def __init__(
        self,
        senses: Mapping[str, Sense],
        subscribers: Mapping[str, tuple[str, ...]],
        *,
        clock: Clock,
        max_restarts: int = 3,
        backoff_s: float = 0.05,
        stall_s: Mapping[str, float] | None = None,
    ) -> None:
        self.senses = dict(senses)
        self.subscribers = subscribers
        self.clock = clock
        self.max_restarts = max_restarts
        self.backoff_s = backoff_s
        self.stall_s = dict(stall_s or {})
        self.status = {name: SenseStatus(name) for name in senses}
        self._streams: dict[str, PerceptStream] = {}

    def percepts(
        self, sense: Sense, observation: Observation, domains: tuple[str, ...] | None = None
    ) -> list[Percept]:
        """One percept per subscribed domain (or per one of ``domains``), with its measured
        compression: raw bytes behind it over the bytes of the percept itself."""
        made: list[Percept] = []
        for domain in self.subscribers.get(sense.name, ()) if domains is None else domains:
            percept = Percept(
                percept_id=f"p-{uuid.uuid4().hex[:16]}",
                domain=domain,
                sense=sense.name,
                sense_version=sense.version,
                name=observation.name,
                fields=dict(observation.fields),
                rendering=observation.rendering,
                confidence=observation.confidence,
                span=observation.span,
                evidence=observation.evidence,
                at=self.clock.now(),
                provenance=None
                if observation.tainted is None
                else Provenance(origin=f"sense {sense.name!r}", tainted=observation.tainted),
            )
            sent = len(json.dumps(percept.model_dump(mode="json")).encode())
            ratio = max(observation.raw_bytes, 1) / sent
            made.append(percept.model_copy(update={"compression": ratio}))
        return made

    async def supervise(self, sense: Sense, commit: Committer) -> None:
        """Run ``sense`` until its stream ends, restarting it when it fails."""
        status = self.status[sense.name]
        while True:
            stream = PerceptStream()
            self._streams[sense.name] = stream
            guard = StormGuard()
            status.running = True
            failure: BaseException | None = None
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._pump, sense, stream, guard, commit)
                watch = anyio.CancelScope()
                tg.start_soon(self._watch, sense, watch, commit)
                try:
                    await self._run_apart(sense, stream)
                except Exception as error:  # a sense's bug must not stop the system
                    failure = error
                finally:
                    watch.cancel()
                    stream.close()
            status.running = False
            status.stream = stream.statistics()
            if failure is None:
                return
            status.restarts += 1
            status.failures = (*status.failures, f"{type(failure).__name__}: {failure}")
            # Bad input (a wrong channel count, a truncated file) fails the same way again.
            stopping = status.restarts > self.max_restarts or isinstance(failure, UsageError)
            what = (
                "stopped" if stopping else (f"restarted ({status.restarts} of {self.max_restarts})")
            )
            note = Observation(
                name="sense.failure" if not stopping else "sense.stopped",
                rendering=f"sense {sense.name!r} failed: {failure}; {what}",
                confidence=1.0,
                span=(0.0, 0.0),
                fields={
                    "error": f"{type(failure).__name__}: {failure}"[:500],
                    "restarts": status.restarts,
                },
            )
            await commit(self.percepts(sense, note))
            if stopping:
                return
            await anyio.sleep(self.backoff_s * 2 ** (status.restarts - 1))

    async def _run_apart(self, sense: Sense, stream: PerceptStream) -> None:
        """Run the sense on an event loop of its own, on a thread of its own.

        A sense that blocks (a ``time.sleep``, a slow model) then blocks only itself, never
        the orchestrators. Its loop beats every ``_BEAT_S``; ``_watch`` reports a sense
        whose beat stops as stalled. Back-pressure still holds: ``emit`` waits, in the
        sense's thread, until the percept stream has room.
        """
        token = anyio.lowlevel.current_token()
        status = self.status[sense.name]
        status.beat = time.monotonic()

        async def emit(observation: Observation) -> None:
            anyio.from_thread.run(stream.send, observation, token=token)

        async def beat() -> None:
            while True:
                status.beat = time.monotonic()
                await anyio.sleep(_BEAT_S)

        async def main() -> None:
            failed: list[Exception] = []
            async with anyio.create_task_group() as tg:
                tg.start_soon(beat)
                try:
                    await sense.run(emit)
                except Exception as error:  # raised as itself, not wrapped in a group
                    failed.append(error)
                tg.cancel_scope.cancel()
            if failed:
                raise failed[0]

        await offload.run_sync(anyio.run, main, name=f"sense {sense.name}")

    async def _watch(self, sense: Sense, scope: anyio.CancelScope, commit: Committer) -> None:
        """Report the sense as stalled once its loop has not beaten for ``stall_s``."""
        status = self.status[sense.name]
        limit = self.stall_s.get(sense.name, DEFAULT_STALL_S)
        with scope:
            while True:
                await anyio.sleep(min(limit / 4, 1.0))
                silent = time.monotonic() - status.beat
                if silent < limit:
                    status.stalled = False
                    continue
                if status.stalled:
                    continue
                status.stalled = True
                note = Observation(
                    name="sense.stalled",
                    rendering=(
                        f"sense {sense.name!r} has stopped producing: its loop has been "
                        f"blocked for {silent:.1f} s (limit {limit:g} s)"
                    ),
                    confidence=1.0,
                    span=(0.0, 0.0),
                    fields={"blocked_s": round(silent, 3), "stall_s": limit},
                )
                await commit(self.percepts(sense, note))

    async def _pump(
        self, sense: Sense, stream: PerceptStream, guard: StormGuard, commit: Committer
    ) -> None:
        status = self.status[sense.name]
        async with stream.receive:
            async for observation in stream.receive:
                for admitted in guard.admit(observation):
                    status.percepts += 1
                    await commit(self.percepts(sense, admitted))
        for held in guard.flush():
            status.percepts += 1
            await commit(self.percepts(sense, held))
        stream.aggregated = guard.folded

    def attend(self, event: AttentionEvent) -> list[Percept]:
        """Apply an attention request; the sense's answer goes back to the asking domain."""
        sense = self.senses.get(event.sense)
        if sense is None:  # the guards let a domain direct only its own senses
            return []
        try:
            lines = sense.attend(event.settings) or ["nothing changed"]
            confidence = 1.0
        except PrefrontalError as error:
            lines = [str(error)]
            confidence = 0.0
        answer = Observation(
            name="sense.attention",
            rendering=f"{event.sense}: " + "; ".join(lines),
            confidence=confidence,
            span=(0.0, 0.0),
            fields={"changes": lines, "attention_id": event.attention_id},
        )
        return self.percepts(sense, answer, (event.domain,))

    def statistics(self) -> dict[str, SenseStatus]:
        for name, stream in self._streams.items():
            self.status[name].stream = stream.statistics()
        return self.status
