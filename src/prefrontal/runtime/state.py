"""A domain's state: a fold over the decisions its orchestrator journaled.

The state is never stored; it is rebuilt by folding ``(cause event, decision)`` pairs in
journal order, live or on replay, so both see exactly the same state at every decision.
Old lines of the recent history are compacted into summary notes; notes the policy chose to
remember are kept verbatim. The journal itself is never rewritten.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from prefrontal.seam.actions import (
    Action,
    CommissionAction,
    EscalateAction,
    HandOffAction,
    RememberAction,
    ReplyAction,
)
from prefrontal.seam.events import DecisionEvent, HandOffEvent, InboundEvent, Report
from prefrontal.seam.render import actions_line, one_line
from prefrontal.seam.sealing import seal
from prefrontal.seam.usage import Usage

THREADS_KEPT = 1024
"""Threads whose loop-guard counters a domain keeps: those with the most recent decisions.
A runaway thread keeps deciding, so it stays among them; a thread quiet for this many
others' decisions starts counting again from 0 if it ever wakes."""
FOLD = 2
"""The fold's version: a snapshot folded by another version is not used (see ``fingerprint``).
2: the loop-guard counters keep the most recently used threads, ``THREADS_KEPT`` of them."""


def commission_id(domain: str, cause_seq: int, index: int) -> str:
    """The deterministic idempotency key of the ``index``-th action of a decision."""
    return f"{domain}-{cause_seq}-{index}"


_KEYS: dict[int, tuple[CommissionAction, str]] = {}
_KEYS_KEPT = 256


def inputs_key(action: CommissionAction) -> str:
    """What makes two commissions the same work: the worker and its inputs, as JSON.

    The guards and the fold both ask for every commission issued, so the key of the last few
    hundred actions is kept (by identity: an entry holds its action, so its id is not reused).
    """
    found = _KEYS.get(id(action))
    if found is not None and found[0] is action:
        return found[1]
    key = json.dumps([action.worker, action.inputs], sort_keys=True, default=str)
    if len(_KEYS) >= _KEYS_KEPT:
        del _KEYS[next(iter(_KEYS))]
    _KEYS[id(action)] = (action, key)
    return key


def _touch(counter: Counter[Any], key: Any, value: int) -> None:
    """Set ``counter[key]`` to ``value`` and move it last: the counters stay in order of
    last use, so trimming the oldest (``_trim_threads``) keeps the active threads."""
    counter.pop(key, None)
    counter[key] = value


@dataclass(slots=True)
class OpenCommission:
    worker: str
    thread_id: str
    ceiling: Decimal


@dataclass
class DomainState:
    """What an orchestrator knows about its own domain, and nothing else."""

    domain: str
    ceiling: Callable[[CommissionAction], Decimal]
    recent_limit: int = 12
    memory_limit: int = 40
    memory: list[str] = field(default_factory=list)
    compacted: list[str] = field(default_factory=list)
    recent: deque[tuple[int, str]] = field(default_factory=deque)
    open: dict[str, OpenCommission] = field(default_factory=dict)
    spent: dict[str, Decimal] = field(default_factory=dict)
    unpriced_calls: int = 0
    decisions: int = 0
    forgotten: int = 0
    thread_decisions: Counter[tuple[str, str]] = field(default_factory=Counter)
    idle_streak: Counter[str] = field(default_factory=Counter)
    issued: Counter[tuple[str, str]] = field(default_factory=Counter)
    _reserved: Decimal = field(default_factory=Decimal)
    _open_per_thread: Counter[str] = field(default_factory=Counter)
    """How many of ``open`` each thread has (derived, kept with it: ``open_in`` is asked
    on every decision, and counting ``open`` grew with the work in flight)."""

    def spent_on(self, day: str) -> Decimal:
        return self.spent.get(day, Decimal(0))

    def reserved(self) -> Decimal:
        """The ceilings of every open commission: money promised but not yet reported."""
        return self._reserved

    def open_in(self, thread_id: str) -> int:
        return self._open_per_thread.get(thread_id, 0)

    def progresses(self, thread: str, actions: tuple[Action, ...]) -> bool:
        """Progress: the decision acts on the world, or work is still out in its thread."""
        acts = any(
            isinstance(a, CommissionAction | ReplyAction | EscalateAction | HandOffAction)
            for a in actions
        )
        return acts or self.open_in(thread) > 0

    def handoff_depth(self, event: InboundEvent) -> int:
        return event.depth if isinstance(event, HandOffEvent) else 0

    def _spend(self, day: str, usage: tuple[Usage, ...]) -> None:
        for item in usage:
            if item.cost_usd is None:
                self.unpriced_calls += 1
            else:
                self.spent[day] = self.spent_on(day) + item.cost_usd

    def apply(
        self,
        cause_seq: int,
        event: InboundEvent,
        decision: DecisionEvent,
        *,
        sealed: InboundEvent | None = None,
    ) -> None:
        """Fold one decision (and the event it answered) into the state.

        The recent history keeps the sealed event: tainted text stays a handle there too.
        ``sealed``: ``seal(event, cause_seq)`` when the caller has it already.
        """
        event = seal(event, cause_seq) if sealed is None else sealed
        day = event.at.date().isoformat()
        thread = event.thread_id
        self.decisions += 1
        _touch(self.thread_decisions, (thread, day), self.thread_decisions[(thread, day)] + 1)
        if isinstance(event, Report):
            closed = self.open.pop(event.commission_id, None)
            if closed is not None:
                self._reserved -= closed.ceiling
                self._close_in(closed.thread_id)
            self._spend(day, event.usage)
        self._spend(day, decision.usage)
        for index, action in enumerate(decision.actions):
            if isinstance(action, CommissionAction):
                cid = commission_id(self.domain, cause_seq, index)
                ceiling = self.ceiling(action)
                replaced = self.open.get(cid)
                if replaced is not None:
                    self._close_in(replaced.thread_id)
                self.open[cid] = OpenCommission(action.worker, thread, ceiling)
                self._open_per_thread[thread] += 1
                self._reserved += ceiling
                key = (thread, inputs_key(action))
                _touch(self.issued, key, self.issued[key] + 1)
            elif isinstance(action, RememberAction):
                self.memory.append(action.note)
        streak = self.idle_streak[thread] + 1
        _touch(self.idle_streak, thread, 0 if self.progresses(thread, decision.actions) else streak)
        self.recent.append((cause_seq, f"#{cause_seq} {one_line(event)}"))
        self.recent.append((cause_seq, f"  → {actions_line(decision.actions)}"))
        self._compact()
        self._trim_threads()

    def _close_in(self, thread_id: str) -> None:
        left = self._open_per_thread[thread_id] - 1
        if left > 0:
            self._open_per_thread[thread_id] = left
        else:
            del self._open_per_thread[thread_id]

    def _compact(self) -> None:
        if len(self.recent) <= self.recent_limit * 2:
            return
        batch = [self.recent.popleft() for _ in range(self.recent_limit)]
        first, last = batch[0][0], batch[-1][0]
        kinds = Counter(line.split(" ", 2)[1] for _, line in batch if line.startswith("#"))
        acted = Counter(
            part.strip().split(" ")[0]
            for _, line in batch
            if line.startswith("  →")
            for part in line[4:].split(";")
        )
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        actions = ", ".join(f"{k}×{n}" for k, n in sorted(acted.items()))
        self.compacted.append(f"events #{first}-#{last}: {summary}; actions: {actions}")
        while len(self.memory) + len(self.compacted) > self.memory_limit and self.compacted:
            self.compacted.pop(0)
            self.forgotten += 1
        while len(self.memory) > self.memory_limit:
            self.memory.pop(0)
            self.forgotten += 1

    def _trim_threads(self) -> None:
        # Least recently used first: ``_touch`` moves what it counts to the end.
        for counter in (self.thread_decisions, self.idle_streak, self.issued):
            while len(counter) > THREADS_KEPT:
                del counter[next(iter(counter))]

    # -- snapshots -------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """The folded fields as JSON-ready data, for a snapshot (``restore`` reads it)."""
        return {
            "memory": self.memory,
            "compacted": self.compacted,
            "recent": [list(entry) for entry in self.recent],
            "open": {cid: [c.worker, c.thread_id, str(c.ceiling)] for cid, c in self.open.items()},
            "spent": {day: str(amount) for day, amount in self.spent.items()},
            "unpriced_calls": self.unpriced_calls,
            "decisions": self.decisions,
            "forgotten": self.forgotten,
            "thread_decisions": [[t, d, n] for (t, d), n in self.thread_decisions.items()],
            "idle_streak": dict(self.idle_streak),
            "issued": [[t, k, n] for (t, k), n in self.issued.items()],
            "reserved": str(self._reserved),
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Take the folded fields from a snapshot ``dump``; the limits stay this state's."""
        self.memory = list(data["memory"])
        self.compacted = list(data["compacted"])
        self.recent = deque((int(seq), str(line)) for seq, line in data["recent"])
        self.open = {
            cid: OpenCommission(worker, thread, Decimal(ceiling))
            for cid, (worker, thread, ceiling) in data["open"].items()
        }
        self._open_per_thread = Counter(c.thread_id for c in self.open.values())
        self.spent = {day: Decimal(amount) for day, amount in data["spent"].items()}
        self.unpriced_calls = int(data["unpriced_calls"])
        self.decisions = int(data["decisions"])
        self.forgotten = int(data["forgotten"])
        self.thread_decisions = Counter({(t, d): n for t, d, n in data["thread_decisions"]})
        self.idle_streak = Counter(data["idle_streak"])
        self.issued = Counter({(t, k): n for t, k, n in data["issued"]})
        self._reserved = Decimal(data["reserved"])
