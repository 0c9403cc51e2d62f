"""Crash test: SIGKILL the runtime at random points, restart it, and check what survived.

``crash_scenario.py`` runs in a subprocess that is killed at least 50 times, at a random
moment after it is ready, and restarted each time; a last run then finishes the work.
Afterwards every acknowledged request's effect (written by a tool worker under its
commission's idempotency key) must exist exactly once, nothing acknowledged may be lost,
and the journal must be sound. The same run with an unkeyed worker must show duplicates:
that proves the test can fail.

The PostgreSQL twin runs the keyed scenario on a server the test starts on 127.0.0.1,
``PG_KILLS`` times (50 in CI; the full run, ``PREFRONTAL_PG_CRASH_KILLS=100 pytest -k
postgresql tests/runtime/test_crash.py -s``, prints its figures in the ``[keyed]`` line).
"""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

import prefrontal
from prefrontal import Commission, Report, RequestEvent
from support import crash_scenario

SCENARIO = Path(__file__).parents[1] / "support" / "crash_scenario.py"
REQUESTS = 300  # a backlog that outlasts the kills (about half is left after 50)
MIN_KILLS = 50
PG_KILLS_ENV = "PREFRONTAL_PG_CRASH_KILLS"
PG_KILLS = int(os.environ.get(PG_KILLS_ENV, "50"))
"""Kills of the PostgreSQL twin: 50 in CI; ``PREFRONTAL_PG_CRASH_KILLS=100`` for the full run."""
REQUESTS_PER_KILL = 6
MIN_KILLS_IN_SNAPSHOT = 3
MIN_KILLS_IN_COMBINED = 3
MAX_KILLS_UNKEYED = 150
MAX_DELAY_S = 0.25
READY_TIMEOUT_S = 60.0
FINISH_TIMEOUT_S = 600.0
SEED = 20251121


@dataclass(frozen=True)
class Files:
    db: Path
    effects: Path
    acks: Path
    log: Path
    journal: str
    """The scenario's journal: the SQLite file ``db``, or a database URL."""
    requests: int = REQUESTS

    @classmethod
    def under(cls, folder: Path, *, url: str | None = None, requests: int = REQUESTS) -> Files:
        db = folder / "journal.db"
        return cls(
            db=db,
            effects=folder / "effects.txt",
            acks=folder / "acks.txt",
            log=folder / "stderr.log",
            journal=url or str(db),
            requests=requests,
        )

    @property
    def url(self) -> str:
        return crash_scenario.journal_url(self.journal)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(encoding="utf-8").splitlines()[-lines:])


@dataclass
class Tally:
    runs: int = 0
    kills: int = 0
    finished: int = 0  # runs that printed "done" before the kill came
    left: int = 0  # requests with no effect yet when the kills stopped
    in_snapshot: int = 0  # kills that landed while a snapshot was being written
    in_combined: int = 0  # kills inside a transaction that carried a decision on its cause


@dataclass(frozen=True)
class Effect:
    key: str
    n: int


def start(files: Files, mode: str) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        str(SCENARIO),
        files.journal,
        str(files.effects),
        str(files.acks),
        str(files.requests),
        mode,
    ]
    with files.log.open("a", encoding="utf-8") as log:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)


def wait_ready(process: subprocess.Popen[str], files: Files) -> None:
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], READY_TIMEOUT_S)
    line = process.stdout.readline() if readable else ""
    if line.strip() != "ready":
        process.kill()
        process.wait()
        pytest.fail(
            f"the scenario did not get ready (got {line!r}, exit {process.returncode}):\n"
            f"{files.log_tail()}"
        )


def landed_in(files: Files, offset: int, what: str) -> bool:
    """Whether the run whose log starts at ``offset`` died inside ``what`` ("snapshot": a
    snapshot write; "combined": a transaction deciding on the event it journals)."""
    with files.log.open(encoding="utf-8") as log:
        log.seek(offset)
        marks = [line for line in log.read().split() if line.startswith(f"{what}-")]
    return bool(marks) and marks[-1] == f"{what}-begin"


def run_once(files: Files, mode: str, *, delay_s: float | None) -> bool:
    """Run the scenario; SIGKILL it ``delay_s`` after it is ready. True when it was killed."""
    with start(files, mode) as process:
        wait_ready(process, files)
        if delay_s is not None:
            time.sleep(delay_s)
            process.send_signal(signal.SIGKILL)  # a no-op if it already exited
        # The last run does what the kills left, hundreds of requests on a loaded machine.
        out, _ = process.communicate(timeout=READY_TIMEOUT_S if delay_s else FINISH_TIMEOUT_S)
    if process.returncode == -signal.SIGKILL:
        return True
    if process.returncode != 0 or "done" not in out.split():
        pytest.fail(
            f"the scenario exited with {process.returncode} (stdout {out!r}):\n{files.log_tail()}"
        )
    return False


def crash_loop(files: Files, mode: str, enough: Callable[[Tally], bool]) -> Tally:
    """Kill and restart the scenario until ``enough``, then let one run finish the work."""
    rng = random.Random(SEED)
    tally = Tally()
    while not enough(tally):
        tally.runs += 1
        offset = files.log.stat().st_size if files.log.exists() else 0
        if run_once(files, mode, delay_s=rng.uniform(0, MAX_DELAY_S)):
            tally.kills += 1
            tally.in_snapshot += landed_in(files, offset, "snapshot")
            tally.in_combined += landed_in(files, offset, "combined")
        else:
            tally.finished += 1
        assert tally.runs <= 3 * MAX_KILLS_UNKEYED, (
            f"only {tally.kills} kills in {tally.runs} runs: the work ran out before the "
            "kills did; raise REQUESTS"
        )
    recorded = {e.n for e in read_effects(files)} if files.effects.exists() else set()
    tally.left = files.requests - len(recorded)
    assert not run_once(files, mode, delay_s=None)
    return tally


def read_effects(files: Files) -> list[Effect]:
    effects: list[Effect] = []
    for line in files.effects.read_text(encoding="utf-8").splitlines():
        key, n = line.split(" ")
        effects.append(Effect(key, int(n)))
    return effects


def read_acks(files: Files) -> list[str]:
    return files.acks.read_text(encoding="utf-8").splitlines()


def duplicated(effects: list[Effect]) -> dict[int, int]:
    """How many times each ``n`` was recorded, for those recorded more than once."""
    counts = Counter(effect.n for effect in effects)
    return {n: count for n, count in sorted(counts.items()) if count > 1}


def report(files: Files, mode: str, tally: Tally, effects: list[Effect], elapsed_s: float) -> None:
    doubled = duplicated(effects)
    extra = sum(count - 1 for count in doubled.values())
    print(
        f"\n[{mode}] kills={tally.kills} in_snapshot_write={tally.in_snapshot} "
        f"in_combined_commit={tally.in_combined} runs={tally.runs} "
        f"finished_before_kill={tally.finished} left_for_last_run={tally.left} "
        f"requests={files.requests} effects={len(effects)} duplicated_requests={len(doubled)} "
        f"extra_effects={extra} elapsed={elapsed_s:.1f}s"
    )


def sqlite_integrity(db: Path) -> str:
    with closing(sqlite3.connect(db)) as conn:
        (status,) = conn.execute("PRAGMA integrity_check").fetchone()
    return str(status)


def kill_keyed_and_check(files: Files, kills: int) -> Tally:
    """Kill the keyed scenario ``kills`` times; check nothing acknowledged was lost or doubled."""
    begun = time.perf_counter()
    tally = crash_loop(files, "keyed", lambda t: t.kills >= kills)
    effects = read_effects(files)
    report(files, "keyed", tally, effects, time.perf_counter() - begun)

    assert tally.kills >= kills
    assert tally.in_snapshot >= MIN_KILLS_IN_SNAPSHOT, "too few kills landed in a snapshot write"
    assert tally.in_combined >= MIN_KILLS_IN_COMBINED, "too few kills landed in a combined commit"
    acks = read_acks(files)
    every = list(range(files.requests))
    assert sorted(acks) == sorted(f"req-{n}" for n in every), "an ack is missing"
    assert len(acks) == len(set(acks))
    assert duplicated(effects) == {}, "a keyed effect happened twice"
    assert sorted(e.n for e in effects) == every, "an acknowledged effect is lost"

    journal = prefrontal.open_journal(files.url)
    try:
        assert journal.open_commissions() == [], "a commission has no report"
        assert journal.pending("work") == [], "an inbound event has no decision"
        assert journal.unrouted() == [], "a request was never routed"
        requests = [s.event for s in journal.read(kinds=["request"])]
        assert {r.request_id for r in requests if isinstance(r, RequestEvent)} == set(acks)
        # Each effect belongs to exactly one journaled commission, with that commission's input.
        commissions = [s.event for s in journal.read(kinds=["commission"])]
        issued = {c.commission_id: c.inputs["n"] for c in commissions if isinstance(c, Commission)}
        assert {e.key: e.n for e in effects} == issued
        reports = [s.event for s in journal.read(kinds=["report"])]
        assert [r.status for r in reports if isinstance(r, Report)] == ["ok"] * files.requests
        assert journal.verify() == []
        assert journal.snapshot_seqs(), "the driver never stored a snapshot"
    finally:
        journal.close()
    config = crash_scenario.build_config(files.journal)
    with closing(prefrontal.open_journal(config.journal_url())) as again:
        replayed = anyio.run(prefrontal.replay, config, again)
    assert replayed.ok, replayed
    assert replayed.snapshots_checked >= 1
    return tally


@pytest.mark.slow
def test_kills_lose_nothing_acknowledged_and_keyed_effects_happen_once(tmp_path: Path) -> None:
    files = Files.under(tmp_path)
    kill_keyed_and_check(files, MIN_KILLS)
    assert sqlite_integrity(files.db) == "ok"


@pytest.mark.slow
def test_kills_on_postgresql_lose_nothing_acknowledged_nor_double_a_keyed_effect(
    tmp_path: Path, pg_url: str
) -> None:
    """The twin on PostgreSQL: a killed driver's transaction rolls back, its lock is freed."""
    files = Files.under(tmp_path, url=pg_url, requests=PG_KILLS * REQUESTS_PER_KILL)
    kill_keyed_and_check(files, PG_KILLS)


@pytest.mark.slow
def test_kills_double_unkeyed_effects_so_the_check_can_fail(tmp_path: Path) -> None:
    files = Files.under(tmp_path)
    begun = time.perf_counter()

    def enough(tally: Tally) -> bool:
        if tally.kills < MIN_KILLS:
            return False
        return tally.kills >= MAX_KILLS_UNKEYED or bool(duplicated(read_effects(files)))

    tally = crash_loop(files, "unkeyed", enough)
    effects = read_effects(files)
    report(files, "unkeyed", tally, effects, time.perf_counter() - begun)

    assert duplicated(effects), f"no duplicate effect after {tally.kills} kills"
    assert {e.n for e in effects} == set(range(files.requests))
    assert sqlite_integrity(files.db) == "ok"
