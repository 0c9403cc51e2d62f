"""The percept stream between a sense and the runtime: bounded, with back-pressure and a
``statistics()`` view, and a storm guard that aggregates bursts before they reach the
orchestrator, which handles one event at a time by design.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, replace

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from prefrontal.senses.base import Observation


@dataclass(frozen=True, slots=True)
class StreamStatistics:
    buffered: int
    max_buffer: int
    sent: int
    aggregated: int
    blocked_s: float


class PerceptStream:
    """A bounded stream of observations. ``send`` waits while it is full (back-pressure)."""

    def __init__(self, max_buffer: int = 64) -> None:
        self.max_buffer = max_buffer
        send, receive = anyio.create_memory_object_stream[Observation](max_buffer)
        self._send: MemoryObjectSendStream[Observation] = send
        self.receive: MemoryObjectReceiveStream[Observation] = receive
        self.sent = 0
        self.aggregated = 0
        self.blocked_s = 0.0

    async def send(self, observation: Observation) -> None:
        begun = time.perf_counter()
        await self._send.send(observation)
        self.blocked_s += time.perf_counter() - begun
        self.sent += 1

    def close(self) -> None:
        self._send.close()

    def statistics(self) -> StreamStatistics:
        stats = self._send.statistics()
        return StreamStatistics(
            buffered=stats.current_buffer_used,
            max_buffer=self.max_buffer,
            sent=self.sent,
            aggregated=self.aggregated,
            blocked_s=self.blocked_s,
        )


@dataclass(slots=True)
class _Held:
    count: int
    start: float
    last: Observation


class StormGuard:
    """Lets ``burst`` observations of one name through per ``window_s`` of stream time;
    the rest of a burst is folded into one aggregate observation with its count.

    Deterministic: it reads only the observations' spans, never the wall clock.
    """

    def __init__(self, *, burst: int = 3, window_s: float = 10.0) -> None:
        self.burst = burst
        self.window_s = window_s
        self._passed: dict[str, deque[float]] = {}
        self._held: dict[str, _Held] = {}
        self.folded = 0

    def admit(self, observation: Observation) -> list[Observation]:
        """What to send up now for ``observation``: itself, an aggregate, both, or nothing."""
        now = observation.span[1]
        out = self._due(now)
        passed = self._passed.setdefault(observation.name, deque())
        while passed and now - passed[0] > self.window_s:
            passed.popleft()
        if len(passed) < self.burst and observation.name not in self._held:
            passed.append(now)
            return [*out, observation]
        self.folded += 1
        held = self._held.get(observation.name)
        if held is None:
            self._held[observation.name] = _Held(1, observation.span[0], observation)
        else:
            held.count += 1
            held.last = observation
        return out

    def flush(self) -> list[Observation]:
        """Every held aggregate, e.g. at the end of a stream."""
        return self._due(float("inf"))

    def _due(self, now: float) -> list[Observation]:
        out: list[Observation] = []
        for name, held in list(self._held.items()):
            if now - held.start >= self.window_s:
                del self._held[name]
                self._passed[name] = deque([held.last.span[1]])
                out.append(self._aggregate(held))
        return out

    def _aggregate(self, held: _Held) -> Observation:
        last = held.last
        span = (held.start, last.span[1])
        return replace(
            last,
            rendering=f"{held.count} more like this in {span[1] - span[0]:.1f} s: {last.rendering}",
            span=span,
            fields={**last.fields, "aggregated": held.count},
        )
