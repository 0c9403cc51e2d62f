"""The same journal and runtime on a real PostgreSQL server, started here on 127.0.0.1.

The server is a throwaway cluster (initdb into a temporary folder, ``trust`` auth, listening
on 127.0.0.1 and a socket in that folder only, fsync off) started once per session, stopped with
``pg_ctl stop -m fast`` at the end. Every test gets its own database. The tests are skipped
where PostgreSQL's server binaries or psycopg are not installed; on Debian, as root::

    apt-get install -y --no-install-recommends postgresql
    .venv/bin/pip install 'psycopg[binary]>=3.2'
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sa_event

from prefrontal import (
    Config,
    InboxItem,
    JournalError,
    SqlJournal,
    Stored,
    TimerEvent,
    load_config,
    open_journal,
    open_system,
    replay,
)
from prefrontal.cli.demo import write_example
from prefrontal.clock import ManualClock
from prefrontal.examples.household import day
from prefrontal.seam import TimerSet
from records import AT, commission, decision, report, request, routed, seqs, timer_set

# -- the server ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Server:
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"


def _bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest version."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """A PostgreSQL server for this session, on 127.0.0.1 only; stopped at the end."""
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed: pip install 'prefrontal[postgres]'")
    bindir = _bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
            "/usr/lib/postgresql/*/bin: apt-get install -y postgresql"
        )
    # initdb refuses to run as root: run the server as the 'postgres' user then.
    prefix: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        runuser = shutil.which("runuser", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            owner = None
        if runuser is None or owner is None:
            pytest.skip("running as root needs runuser and a 'postgres' user to run initdb")
        prefix = [runuser, "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="prefrontal-pg-"))
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data, log = folder / "data", folder / "server.log"
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    for name in ("PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS"):
        env.pop(name, None)

    def pg(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    def fail(step: str, done: subprocess.CompletedProcess[str]) -> None:
        if (data / "postmaster.pid").exists():  # a start that gave up waiting: stop it
            pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        server_log = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"{step} failed ({done.returncode}):\n{done.stdout}{done.stderr}{server_log}")

    init = pg(
        str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
        "-E", "UTF8", "--locale=C", "--no-sync",
    )  # fmt: skip
    if init.returncode != 0:
        fail("initdb", init)
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
    start = pg(
        str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", options, "start"
    )
    if start.returncode != 0:
        fail("pg_ctl start", start)
    try:
        yield Server(port=port, user="postgres")
    finally:
        pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(postgres: Server) -> Iterator[str]:
    """A fresh, empty database on the session's server; dropped after the test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(
        host="127.0.0.1", port=postgres.port, user=postgres.user, dbname="postgres", autocommit=True
    ) as admin:
        # FILE_COPY (PostgreSQL 15+) copies the tiny template faster than WAL-logging it.
        strategy = " STRATEGY FILE_COPY" if admin.info.server_version >= 150000 else ""
        admin.execute(f'CREATE DATABASE "{name}"{strategy}')
        yield postgres.url(name)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def journal(pg_url: str) -> Iterator[SqlJournal]:
    opened = open_journal(pg_url)
    yield opened
    opened.close()


# -- events ----------------------------------------------------------------------------------


# -- the journal's contract on PostgreSQL ----------------------------------------------------


def test_the_journal_is_on_postgresql(journal: SqlJournal) -> None:
    assert journal.engine.dialect.name == "postgresql"
    assert journal.engine.dialect.driver == "psycopg"


def test_append_returns_increasing_seqs(journal: SqlJournal) -> None:
    assert journal.append([]) == []
    assert journal.last_seq() == 0

    assert seqs(journal.append([request("r1"), request("r2")])) == [1, 2]
    assert seqs(journal.append([request("r3")])) == [3]
    assert journal.last_seq() == 3
    assert [s.event for s in journal.read()] == [request("r1"), request("r2"), request("r3")]


def test_keyed_duplicates_are_dropped_within_and_across_batches(journal: SqlJournal) -> None:
    assert seqs(journal.append([request("r1"), request("r1", "again"), request("r2")])) == [
        1,
        None,
        2,
    ]
    assert journal.append([request("r1", "again")]) == [None]
    journal.append([commission("c1", 1), report("c1", "first")])
    assert journal.append([report("c1", "second")]) == [None]
    assert seqs(journal.append([decision(1), decision(1), decision(1, domain="money")])) == [
        5,
        None,
        6,
    ]
    assert journal.last_seq() == 6
    found = journal.find("c1", "report")
    assert found is not None
    assert found.event == report("c1", "first")


def test_a_batch_larger_than_one_key_chunk_keeps_its_order(journal: SqlJournal) -> None:
    batch = [request(f"r{i}") for i in range(1200)]
    assert seqs(journal.append(batch)) == list(range(1, 1201))
    again = journal.append([*batch[::-1], request("new")])
    assert seqs(again) == [None] * 1200 + [1201]


def test_read_filters_by_kind_domain_after_and_limit(journal: SqlJournal) -> None:
    journal.append([request("r1"), routed("r1"), request("r2"), routed("r2", domain="money")])

    assert [s.seq for s in journal.read(kinds=["routed"])] == [2, 4]
    assert [s.seq for s in journal.read(domain="money")] == [4]
    assert [s.seq for s in journal.read(after=2)] == [3, 4]
    assert [s.seq for s in journal.read(limit=3)] == [1, 2, 3]


def test_pending_holds_inbound_events_no_decision_answered(journal: SqlJournal) -> None:
    journal.append([request("r1"), routed("r1"), routed("r2"), routed("r3", domain="money")])

    assert [s.seq for s in journal.pending("home")] == [2, 3]
    journal.append([decision(2)])
    assert [s.seq for s in journal.pending("home")] == [3]
    assert [s.seq for s in journal.pending("money")] == [4]
    assert journal.pending("garden") == []


def test_open_commissions_and_unrouted_requests(journal: SqlJournal) -> None:
    question = InboxItem(
        item_id="q1",
        domain=None,
        item="question",
        text="which domain: home or money?",
        needs_answer=True,
        thread_id="r3",
        source="request",
        at=AT,
    )
    journal.append([request("r1"), request("r2"), request("r3")])
    journal.append([routed("r1"), question])
    journal.append([commission("c1", 4), commission("c2", 4), commission("c3", 4)])
    journal.append([report("c2")])

    assert [s.event for s in journal.unrouted()] == [request("r2")]
    assert [s.event for s in journal.open_commissions()] == [
        commission("c1", 4),
        commission("c3", 4),
    ]
    assert [s.event.kind for s in journal.pending("home")] == ["routed", "report"]


def test_due_timers_and_the_next_timer(journal: SqlJournal) -> None:
    assert journal.next_timer() is None
    journal.append([timer_set("late", 3600), timer_set("soon", 60), timer_set("mid", 600)])

    assert journal.next_timer() == AT + timedelta(seconds=60)
    assert journal.due_timers(AT) == []
    due = journal.due_timers(AT + timedelta(seconds=600))
    assert [s.event.timer_id for s in due if isinstance(s.event, TimerSet)] == ["soon", "mid"]

    fired = TimerEvent(timer_id="soon", domain="home", name="timer soon", thread_id="r1", at=AT)
    journal.append([fired])
    assert journal.next_timer() == AT + timedelta(seconds=600)
    assert [s.seq for s in journal.due_timers(AT + timedelta(days=1))] == [1, 3]
    assert journal.append([fired]) == [None]


def test_find_returns_the_first_match_or_none(journal: SqlJournal) -> None:
    journal.append([request("r1"), routed("r1"), commission("c1", 2)])

    found = journal.find("r1", "routed")
    assert found is not None
    assert found.seq == 2
    assert journal.find("c1", "commission") == Stored(3, commission("c1", 2))
    assert journal.find("c1", "report") is None
    assert journal.find("nothing", "request") is None


def test_verify_is_empty_on_a_sound_journal_and_finds_broken_ones(pg_url: str) -> None:
    sound = open_journal(pg_url)
    try:
        sound.append([request("r1"), routed("r1")])
        sound.append([decision(2), commission("c1", 2)])
        sound.append([report("c1")])
        assert sound.verify() == []  # no SQLite integrity_check on PostgreSQL

        sound.append([report("ghost"), commission("c2", 99)])
        assert sound.verify() == [
            "1 reports without an issued commission",
            "1 commissions issued without a decision",
        ]
    finally:
        sound.close()


def test_two_journals_on_one_database_see_each_others_appends(pg_url: str) -> None:
    first, second = open_journal(pg_url), open_journal(pg_url)
    try:
        first.append([request("r1")])
        assert [s.event for s in second.read()] == [request("r1")]

        assert seqs(second.append([request("r2")])) == [2]
        assert first.last_seq() == 2
        assert first.append([request("r2")]) == [None]
        assert second.unrouted() == [Stored(1, request("r1")), Stored(2, request("r2"))]
    finally:
        first.close()
        second.close()

    reopened = open_journal(pg_url)
    try:
        assert reopened.last_seq() == 2
        assert seqs(reopened.append([request("r3"), request("r1")])) == [3, None]
    finally:
        reopened.close()


def test_a_key_another_writer_commits_mid_append_is_dropped(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = open_journal(pg_url), open_journal(pg_url)
    outcome: dict[str, Any] = {}

    def other_writer() -> None:
        try:
            outcome["stored"] = second.append([request("r1", "from the other writer")])
        except JournalError as error:
            outcome["error"] = error

    racer = threading.Thread(target=other_writer)
    looked_up = first._present_keys

    def present_keys_then_race(keys: list[str]) -> set[str]:
        # ``first`` has looked for the keys inside its transaction; ``second`` appends now.
        present = looked_up(keys)
        racer.start()
        racer.join(timeout=3)  # a writer lock taken at BEGIN holds ``second`` back here
        return present

    monkeypatch.setattr(first, "_present_keys", present_keys_then_race)
    try:
        stored = first.append([request("r1")])
        racer.join(timeout=30)
        assert "error" not in outcome, outcome.get("error")
        assert sorted(seqs([*stored, *outcome["stored"]]), key=str) == [1, None]
        assert len(first.read()) == 1
    finally:
        if racer.ident is not None:
            racer.join(timeout=30)
        first.close()
        second.close()


def test_a_reader_polling_after_its_last_seq_misses_nothing(pg_url: str) -> None:
    first, second, reader = open_journal(pg_url), open_journal(pg_url), open_journal(pg_url)
    seen: list[int] = []

    def other_writer() -> None:
        second.append([request("r2")])

    racer = threading.Thread(target=other_writer)

    def after_insert(*args: Any) -> None:
        # ``first`` has inserted (its seq is taken) but not committed yet.
        if str(args[2]).lstrip().upper().startswith("INSERT") and racer.ident is None:
            racer.start()
            racer.join(timeout=3)  # a writer lock taken at BEGIN holds ``second`` back here
            seen.extend(s.seq for s in reader.read())

    sa_event.listen(first._conn, "after_cursor_execute", after_insert)
    try:
        first.append([request("r1")])
        racer.join(timeout=30)
        seen.extend(s.seq for s in reader.read(after=max(seen, default=0)))
        assert sorted(seen) == [1, 2]
    finally:
        if racer.ident is not None:
            racer.join(timeout=30)
        first.close()
        second.close()
        reader.close()


def test_a_long_request_id_is_stored_as_on_sqlite(journal: SqlJournal) -> None:
    long_id = "msg-" + "x" * 250
    assert seqs(journal.append([request(long_id)])) == [1]
    found = journal.find(long_id, "request")
    assert found is not None
    assert found.event == request(long_id)


# -- a whole system on PostgreSQL ------------------------------------------------------------

SYSTEM = """
[journal]
url = "{url}"

[workers.shout]
kind = "tool"
function = "pg_system_mod:shout"

[domains.home]
charter = "the house"
policy = "pg_system_mod:home"
workers = ["shout"]
"""

MODULE = """
from prefrontal import *

CALLS = []

def shout(text: str, context: CommissionContext) -> str:
    CALLS.append(context.idempotency_key)
    return text.upper()

def home(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="shout", inputs={"text": event.text}))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=str(event.output)))
    return Decision.of()
"""

REQUESTS = 20


@pytest.fixture
def system_config(write_config: Callable[..., Config], pg_url: str) -> Config:
    return write_config(SYSTEM.format(url=pg_url), pg_system_mod=MODULE)


async def _run_requests(config: Config) -> list[str]:
    async with open_system(config) as system:
        for i in range(REQUESTS):
            await system.submit(f"@home task {i}")
        await system.run_until_idle()
    import pg_system_mod  # type: ignore[import-not-found] - open_system loaded it

    return list(pg_system_mod.CALLS)


@pytest.mark.anyio
async def test_a_system_runs_and_recovers_on_postgresql(system_config: Config) -> None:
    calls = await _run_requests(system_config)

    journal = open_journal(system_config.journal_url())
    try:
        assert journal.engine.dialect.name == "postgresql"
        commissions = [s.event for s in journal.read(kinds=["commission"])]
        reports = [s.event for s in journal.read(kinds=["report"])]
        replies = [s.event for s in journal.read(kinds=["inbox"])]
        assert len(commissions) == REQUESTS
        assert sorted(calls) == sorted(c.commission_id for c in commissions)  # type: ignore[union-attr]
        assert sorted(r.commission_id for r in reports) == sorted(calls)  # type: ignore[union-attr]
        assert {r.status for r in reports} == {"ok"}  # type: ignore[union-attr]
        assert len(replies) == REQUESTS
        assert {r.item for r in replies} == {"reply"}  # type: ignore[union-attr]
        assert sorted(r.text for r in replies) == sorted(f"TASK {i}" for i in range(REQUESTS))  # type: ignore[union-attr]
        assert journal.open_commissions() == []
        assert journal.unrouted() == []
        assert journal.pending("home") == []
        assert journal.verify() == []
        last = journal.last_seq()
    finally:
        journal.close()

    # Reopen: recovery finds nothing undone, so nothing runs and nothing is journaled.
    import pg_system_mod  # type: ignore[import-not-found]

    async with open_system(system_config) as system:
        await system.run_until_idle()
        assert system.journal.last_seq() == last
    assert calls == pg_system_mod.CALLS

    journal = open_journal(system_config.journal_url())
    try:
        assert journal.last_seq() == last
        assert len(journal.read(kinds=["inbox"])) == REQUESTS
        assert journal.verify() == []
    finally:
        journal.close()


@pytest.mark.anyio
async def test_replay_over_a_postgresql_journal_has_no_mismatches(system_config: Config) -> None:
    await _run_requests(system_config)

    journal = open_journal(system_config.journal_url())
    try:
        report = await replay(system_config, journal)
    finally:
        journal.close()

    assert report.ok, report.mismatches
    assert report.domains["home"].decisions == 2 * REQUESTS
    assert report.domains["home"].checked == 2 * REQUESTS
    assert report.domains["home"].open_commissions == 0


@pytest.mark.anyio
async def test_the_household_day_runs_and_replays_on_postgresql(
    tmp_path: Path, pg_url: str
) -> None:
    path = write_example(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert 'url = "sqlite:///household.db"' in text
    path.write_text(text.replace('url = "sqlite:///household.db"', f'url = "{pg_url}"'))
    config = load_config(path)
    clock = ManualClock(day.START)
    async with open_system(config, clock=clock) as system:
        await day.run_day(system, clock)

    journal = open_journal(config.journal_url())
    try:
        assert journal.engine.dialect.name == "postgresql"
        assert journal.verify() == []
        report = await replay(config, journal)
        decisions = journal.read(kinds=["decision"])
    finally:
        journal.close()
    assert report.ok, report.mismatches
    assert set(report.domains) == {"home", "health", "money"}
    assert sum(d.decisions for d in report.domains.values()) == len(decisions) > 20
    assert not (tmp_path / "household.db").exists()
