"""Snapshots: the folded state at a journal position, so start-up folds only the tail.

A snapshot at ``seq`` S holds, exactly as a fold of rows 1..S gives them: each domain's
state (with a fingerprint of the config it was folded under), the open work (undecided
inbound events per domain, commissions without a report, unrouted requests, unfired timers,
inbox items waiting for an answer), the inbox's interruption counts, and the read
aggregates (``Summary``). The driver writes one every ``[journal] snapshot_every`` events,
right after a group commit (when every decision it folded is durable and nothing
undurable is folded), and one at a clean stop.

A snapshot is derived data: the journal stays the truth. One that is missing, in another
format, or folded under another config is ignored (that domain folds from the start), and
a kill while one is written leaves the previous one. Open work is found again from the
journal each time (rows after S, and the rows S found open), so a snapshot can never hide
or repeat work; ``replay`` checks every stored snapshot against the full fold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prefrontal.clock import Clock
from prefrontal.config import Config
from prefrontal.errors import JournalError
from prefrontal.journal.base import Journal, JournalReads, Stored, causes_of
from prefrontal.runtime.inbox import Inbox
from prefrontal.runtime.state import FOLD, DomainState
from prefrontal.runtime.summary import Summary
from prefrontal.seam.events import DecisionEvent, InboxItem


@dataclass(slots=True)
class OpenWork:
    """Seqs of what was still open at a journal position."""

    pending: dict[str, list[int]] = field(default_factory=dict)
    commissions: list[int] = field(default_factory=list)
    unrouted: list[int] = field(default_factory=list)
    timers: list[int] = field(default_factory=list)
    questions: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Snapshot:
    seq: int
    domains: dict[str, dict[str, Any]]
    open: OpenWork
    inbox: dict[str, Any]
    summary: Summary

    def encode(self) -> str:
        return json.dumps(
            {
                "seq": self.seq,
                "domains": self.domains,
                "open": {
                    "pending": self.open.pending,
                    "commissions": self.open.commissions,
                    "unrouted": self.open.unrouted,
                    "timers": self.open.timers,
                    "questions": self.open.questions,
                },
                "inbox": self.inbox,
                "summary": self.summary.dump(),
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, text: str) -> Snapshot:
        data = json.loads(text)
        work = data["open"]
        return cls(
            seq=int(data["seq"]),
            domains=data["domains"],
            open=OpenWork(
                pending={d: list(s) for d, s in work["pending"].items()},
                commissions=list(work["commissions"]),
                unrouted=list(work["unrouted"]),
                timers=list(work["timers"]),
                questions=list(work["questions"]),
            ),
            inbox=data["inbox"],
            summary=Summary.restore(data["summary"]),
        )


def load_snapshot(journal: JournalReads, *, upto: int | None = None) -> Snapshot | None:
    """The newest usable snapshot, or ``None`` (fold from the start)."""
    found = journal.snapshot(upto=upto)
    if found is None:
        return None
    try:
        return Snapshot.decode(found[1])
    except (ValueError, KeyError, TypeError):
        return None  # derived data: a damaged snapshot costs a longer start, nothing else


def fingerprint(config: Config, domain: str) -> str:
    """What a domain's fold depends on: its config and its workers' (ceilings come from
    them), and the version of the fold itself (``state.FOLD``)."""
    spec = config.domains[domain]
    parts = [f"fold {FOLD}", spec.model_dump_json()]
    parts += [config.workers[w].model_dump_json() for w in spec.workers if w in config.workers]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _seqs(found: Iterable[Stored]) -> list[int]:
    return [s.seq for s in found]


def open_work(
    journal: Journal, domains: Iterable[str], base: Snapshot | None, upto: int
) -> OpenWork:
    """What is open at ``upto``: rows after ``base`` plus those ``base`` found open."""
    after = base.seq if base is not None else 0
    old = base.open if base is not None else OpenWork()
    waiting = [
        s
        for s in journal.open_items(after=after, carried=old.questions, upto=upto)
        if isinstance(s.event, InboxItem) and s.event.needs_answer
    ]
    return OpenWork(
        pending={
            d: _seqs(journal.pending(d, after=after, carried=old.pending.get(d, ()), upto=upto))
            for d in domains
        },
        commissions=_seqs(
            journal.open_commissions(after=after, carried=old.commissions, upto=upto)
        ),
        unrouted=_seqs(journal.unrouted(after=after, carried=old.unrouted, upto=upto)),
        timers=_seqs(journal.open_timers(after=after, carried=old.timers, upto=upto)),
        questions=_seqs(waiting),
    )


def domain_states(snapshot: Snapshot | None, config: Config) -> Mapping[str, dict[str, Any]]:
    """The snapshot's folded states of the domains whose config is unchanged."""
    if snapshot is None:
        return {}
    return {
        name: entry["state"]
        for name, entry in snapshot.domains.items()
        if name in config.domains and entry.get("fingerprint") == fingerprint(config, name)
    }


def fold_tail(journal: Journal, state: DomainState, *, after: int, upto: int) -> None:
    """Fold into ``state`` its domain's decisions after ``after``, up to ``upto``."""
    decisions = [
        s.of(DecisionEvent)
        for s in journal.read(after=after, kinds=["decision"], domain=state.domain, upto=upto)
    ]
    causes = causes_of(journal, decisions)
    for stored in decisions:
        decision = stored.event
        state.apply(decision.cause_seq, causes[decision.cause_seq], decision)


class Snapshots:
    """The driver's snapshots: the newest it stored or started from, and taking the next."""

    def __init__(self, journal: Journal, config: Config, clock: Clock) -> None:
        self.journal = journal
        self.config = config
        self.clock = clock
        self.latest: Snapshot | None = None

    @property
    def seq(self) -> int:
        return self.latest.seq if self.latest is not None else 0

    def take(
        self,
        seq: int,
        states: Mapping[str, DomainState],
        inbox: Inbox,
        summary: Summary,
        work: OpenWork | None = None,
    ) -> bool:
        """Store a snapshot at ``seq``; the caller vouches that ``states`` fold exactly 1..seq.

        ``work`` is the open work at ``seq`` where the caller already has it (recovery);
        otherwise it is found from the previous snapshot and the rows since.
        """
        old = self.latest.open if self.latest is not None else OpenWork()
        if work is None:
            work = open_work(self.journal, states, self.latest, seq)
        else:
            timers = self.journal.open_timers(after=self.seq, carried=old.timers, upto=seq)
            items = self.journal.open_items(after=self.seq, carried=old.questions, upto=seq)
            work.timers = _seqs(timers)
            work.questions = [
                s.seq for s in items if isinstance(s.event, InboxItem) and s.event.needs_answer
            ]
        copy = Summary.restore(summary.dump())
        copy.seq = seq
        snapshot = Snapshot(
            seq=seq,
            domains={
                name: {"fingerprint": fingerprint(self.config, name), "state": state.dump()}
                for name, state in states.items()
            },
            open=work,
            inbox=inbox.dump(),
            summary=copy,
        )
        try:
            self.journal.save_snapshot(seq, snapshot.encode(), at=self.clock.now())
        except JournalError:
            return False  # derived data: without it the next start folds a longer tail
        self.latest = snapshot
        return True
