"""The crash test's scenario: a rule policy, a side-effecting tool worker, and a driver.

As a module it is what the scenario's config imports (``crash_scenario:policy`` and
``crash_scenario:record``). As a script it drives one system on a journal::

    python tests/support/crash_scenario.py JOURNAL EFFECTS ACKS N MODE

JOURNAL is a SQLite file's path, or a database URL (``postgresql+psycopg://...``).

It submits requests ``req-0`` .. ``req-{N-1}`` (skipping those already in ACKS), appends
each id to ACKS once ``submit`` returned (the acknowledgement), runs until idle, and prints
``ready`` once the system is open and ``done`` at the end. ``test_crash.py`` kills it with
SIGKILL at random points and restarts it.

The driver stores a snapshot of its folded state every 5 events, and each snapshot write
sleeps inside its transaction (``SNAPSHOT_SLEEP_S``), so many kills land while one is being
written; it logs ``snapshot-begin``/``snapshot-end`` to stderr, which tells the test where
each kill landed. Likewise for the combined commit, where a decision is made inside the
transaction that journals its cause (a request's routing, a report): each such decision
sleeps there (``COMBINED_SLEEP_S``) and logs ``combined-begin``, and the commit that carries
it logs ``combined-end``.

The worker appends ``KEY N`` to EFFECTS for each commission it runs. MODE ``keyed`` skips
the write when the commission's idempotency key is already there (the effect happened before
a crash); MODE ``unkeyed`` always writes, so a commission resumed after a crash doubles it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import anyio
from sqlalchemy import event as sa_event

import prefrontal
from prefrontal import (
    CommissionAction,
    CommissionContext,
    Decision,
    DomainView,
    InboundEvent,
    ReplyAction,
    Report,
    RoutedEvent,
)
from prefrontal.policies.rule import CHEAP_STREAK

Mode = Literal["keyed", "unkeyed"]
MODES: tuple[Mode, ...] = ("keyed", "unkeyed")
MODE_ENV = "CRASH_MODE"
EFFECTS_ENV = "CRASH_EFFECTS"
# Sleep after the effect so that a kill often lands before the report is journaled.
AFTER_EFFECT_S = 0.02
SNAPSHOT_EVERY = 5
SNAPSHOT_SLEEP_S = 0.01
COMBINED_SLEEP_S = 0.005


def policy(state: DomainView, event: InboundEvent) -> Decision:
    """Commission ``record`` for each request; reply when its report arrives."""
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="record", inputs={"n": int(event.text)}))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=f"recorded: {event.status} {event.output}"))
    return Decision.of()


def record(n: int, context: CommissionContext) -> dict[str, object]:
    """Append ``KEY n`` to the effects file: once per key (keyed) or on every run (unkeyed)."""
    mode = os.environ[MODE_ENV]
    effects = Path(os.environ[EFFECTS_ENV])
    key = context.idempotency_key
    if mode == "unkeyed" or not _has_effect(effects, key):
        with effects.open("a", encoding="utf-8") as file:
            file.write(f"{key} {n}\n")
            file.flush()
            os.fsync(file.fileno())
    time.sleep(AFTER_EFFECT_S)
    return {"key": key, "n": n}


def _has_effect(effects: Path, key: str) -> bool:
    if not effects.exists():
        return False
    lines = effects.read_text(encoding="utf-8").splitlines()
    return any(line.split(" ", 1)[0] == key for line in lines)


def request_id(n: int) -> str:
    return f"req-{n}"


def read_acks(acks: Path) -> set[str]:
    if not acks.exists():
        return set()
    return {line for line in acks.read_text(encoding="utf-8").splitlines() if line}


def journal_url(db: Path | str) -> str:
    """A URL as it is; a path as the URL of a SQLite file there."""
    return db if isinstance(db, str) and "://" in db else f"sqlite:///{db}"


def build_config(db: Path | str) -> prefrontal.Config:
    data = {
        "journal": {"url": journal_url(db), "snapshot_every": SNAPSHOT_EVERY},
        "workers": {
            "record": {
                "kind": "tool",
                "function": "crash_scenario:record",
                "retries": 0,
                # One commission at a time: the backlog outlasts the kills, and a kill
                # usually interrupts a commission between its effect and its report.
                "concurrency": 1,
            },
        },
        "domains": {
            "work": {
                "charter": "records numbers, each exactly once",
                "policy": "crash_scenario:policy",
                "workers": ["record"],
            },
        },
    }
    return prefrontal.parse_config(data, source="crash scenario", base_dir=Path(__file__).parent)


def _slow_snapshots(journal: prefrontal.SqlJournal) -> None:
    """Log each snapshot write and hold it open a while, so kills land inside it."""
    writing: list[bool] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("DELETE FROM snapshots WHERE snapshots.seq ="):
            writing.append(True)
            print("snapshot-begin", file=sys.stderr, flush=True)

    def after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO snapshots"):
            time.sleep(SNAPSHOT_SLEEP_S)

    def committed(_conn: Any) -> None:
        if writing:
            writing.clear()
            print("snapshot-end", file=sys.stderr, flush=True)

    connection = journal._conn  # pyright: ignore[reportPrivateUsage]
    sa_event.listen(connection, "before_cursor_execute", before)
    sa_event.listen(connection, "after_cursor_execute", after)
    sa_event.listen(connection, "commit", committed)


def _slow_combined_commits(system: prefrontal.System) -> None:
    """Log each decision made inside its cause's transaction, and hold that transaction open."""
    writer = system.writer
    follow, committed = writer.follow, writer.committed
    assert follow is not None
    assert committed is not None
    open_: list[bool] = []

    def marked_follow(stored: prefrontal.Stored) -> Sequence[prefrontal.Event]:
        records = follow(stored)
        if records:
            open_.append(True)
            print("combined-begin", file=sys.stderr, flush=True)
            time.sleep(COMBINED_SLEEP_S)
        return records

    def marked_committed(seq: int) -> None:
        if open_:
            open_.clear()
            print("combined-end", file=sys.stderr, flush=True)
        committed(seq)

    writer.follow, writer.committed = marked_follow, marked_committed
    # The rule is known cheap: decide inline from the first event, not after a streak of
    # cheap calls, so that kills in the short life of each run land in combined commits.
    rule = system.orchestrators["work"].policy
    assert isinstance(rule, prefrontal.RulePolicy)
    rule.may_inline, rule.cheap = True, CHEAP_STREAK


async def drive(db: Path | str, acks: Path, count: int) -> None:
    config = build_config(db)
    journal = prefrontal.open_journal(config.journal_url())
    _slow_snapshots(journal)
    async with prefrontal.open_system(config, journal=journal) as system:
        _slow_combined_commits(system)
        print("ready", flush=True)
        acknowledged = read_acks(acks)
        with acks.open("a", encoding="utf-8") as file:
            for n in range(count):
                ident = request_id(n)
                if ident in acknowledged:
                    continue
                await system.submit(f"@work {n}", request_id=ident)
                file.write(f"{ident}\n")
                file.flush()
                os.fsync(file.fileno())
        await system.run_until_idle()
    journal.close()
    print("done", flush=True)


def main(argv: list[str]) -> None:
    if len(argv) != 5 or argv[4] not in MODES:
        sys.exit(f"usage: crash_scenario.py DB EFFECTS ACKS N {{{'|'.join(MODES)}}}")
    db = argv[0] if "://" in argv[0] else Path(argv[0]).resolve()
    effects, acks = (Path(arg).resolve() for arg in argv[1:3])
    os.environ[MODE_ENV] = argv[4]
    os.environ[EFFECTS_ENV] = str(effects)
    anyio.run(drive, db, acks, int(argv[3]))


if __name__ == "__main__":
    main(sys.argv[1:])
