"""A full disk pauses the driver, which says so once, retries, and resumes with nothing lost.

The journal lives on a 4 MiB tmpfs mounted by the test (root only: elsewhere the test is
skipped, saying why). A filler file takes the last free byte while requests are submitted;
once it is removed the waiting writes go through and every request is answered. Through the
CLI, a real ``prefrontal run --follow`` pauses and resumes the same way, and every command
run while the disk is full prints one line naming the journal and the fix, exit 2: never a
traceback or an exception group.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from prefrontal import (
    Config,
    DecisionEvent,
    JournalFullError,
    RulePolicy,
    Stored,
    load_config,
    open_journal,
    open_system,
    replay,
)
from prefrontal.journal.engine import WAL_SHARE_OF_FREE, wal_pages
from prefrontal.journal.sqlite_file import open_file
from prefrontal.policies.rule import CHEAP_STREAK
from prefrontal.runtime.principal import new_request
from prefrontal.runtime.router import Router
from prefrontal.seam import InboxItem
from prefrontal.seam.events import Event
from support.noted import CONFIG, MODULE
from support.records import request

pytestmark = pytest.mark.anyio


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; run the suite as root to test a full disk")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    """Take every free byte of ``folder``'s file system (unbuffered, down to single bytes)."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    chunk = 1 << 16
    try:
        while chunk:
            try:
                os.write(fd, b"\0" * chunk)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                chunk //= 2
    finally:
        os.close(fd)
    return filler


def test_an_append_to_a_full_disk_is_a_typed_retryable_error(disk: Path) -> None:
    journal = open_journal(f"sqlite:///{disk / 'j.db'}")
    journal.append([request("r0")])
    filler = _fill(disk)
    with pytest.raises(JournalFullError, match="is full; nothing of this write was stored") as e:
        journal.append([request(f"r{n}", "x" * 7_000) for n in range(1, 100)])
    assert e.value.retryable
    filler.unlink()
    assert journal.append([request("r1")])[0] is not None
    assert journal.last_seq() == 2
    journal.close()


def test_a_snapshot_on_a_full_disk_is_a_typed_error_through_either_opening(disk: Path) -> None:
    """The driver's journal and a file opened with sqlite3 alone say the same thing."""
    url = f"sqlite:///{disk / 'j.db'}"
    journal = open_journal(url)
    journal.append([request("r0")])
    light = open_file(url, writable=True)
    assert light is not None
    at = datetime(2026, 1, 1, tzinfo=UTC)
    filler = _fill(disk)
    try:
        for opened in (journal, light):
            with pytest.raises(JournalFullError, match="full; the snapshot at #1 was not stored"):
                opened.save_snapshot(1, "x" * 200_000, at=at)
    finally:
        filler.unlink()
    light.save_snapshot(1, '{"after": true}', at=at)
    assert journal.snapshot() == (1, '{"after": true}')
    light.close()
    journal.close()


@pytest.mark.parametrize("inline", [False, True], ids=["on-a-thread", "in-the-commit"])
async def test_the_driver_pauses_on_a_full_disk_and_resumes_with_nothing_lost(
    disk: Path,
    write_config: Callable[..., Config],
    caplog: pytest.LogCaptureFixture,
    inline: bool,
) -> None:
    """``inline``: the rule decides inside the request's own transaction, which the full disk
    rolls back again and again; each retry must bring back the same decision, once."""
    config = write_config(CONFIG.format(db=disk / "j.db", module="full_mod"), full_mod=MODULE)
    caplog.set_level(logging.WARNING, logger="prefrontal")
    acknowledged: list[str] = []
    async with open_system(config) as system:
        policy = system.orchestrators["home"].policy
        assert isinstance(policy, RulePolicy)
        policy.may_inline, policy.cheap = inline, CHEAP_STREAK  # inline at once, or never
        follow = system.writer.follow
        assert follow is not None
        followed: list[int] = []

        def counting(stored: Stored) -> Sequence[Event]:
            records = follow(stored)
            if records:
                followed.append(stored.seq)
            return records

        system.writer.follow = counting
        await system.submit("@home before")
        await system.run_until_idle()
        filler = _fill(disk)

        async def ask(n: int) -> None:
            stored = await system.submit(f"@home {n} " + "y" * 4000, request_id=f"full-{n}")
            acknowledged.append(stored.event.request_id)  # type: ignore[union-attr]

        async with anyio.create_task_group() as tg:
            for n in range(30):
                tg.start_soon(ask, n)
            with anyio.fail_after(20):
                while not system.writer.paused:
                    await anyio.sleep(0.05)
            await anyio.sleep(1.0)  # a few retries while the disk stays full
            assert acknowledged == [], "a request was acknowledged that is not durable"
            filler.unlink()
        with anyio.fail_after(30):
            await system.run_until_idle()
        assert not system.writer.paused
    paused = [r.getMessage() for r in caplog.records if "is full" in r.getMessage()]
    assert len(paused) == 1, paused
    assert any("resumed" in r.getMessage() for r in caplog.records)

    journal = open_journal(config.journal_url())
    replies = [s.event for s in journal.read(kinds=["inbox"])]
    assert sorted(acknowledged) == sorted(f"full-{n}" for n in range(30))
    assert sum(1 for r in replies if isinstance(r, InboxItem)) == 31
    assert journal.verify() == []
    decisions = [s.of(DecisionEvent) for s in journal.read(kinds=["decision"])]
    assert len(decisions) == len({d.event.cause_seq for d in decisions}) == 31
    # Decided in the commit: each of the 31 at least once (again on every retry), or never.
    assert len(set(followed)) >= 31 if inline else followed == []
    assert (await replay(config, journal)).ok
    journal.close()


PROGRAM = [sys.executable, "-c", "from prefrontal.cli import main; main()"]
CLI_CONFIG = """
[journal]
url = "sqlite:///journal.db"

[domains.home]
charter = "the house"
policy = "prefrontal.examples.household.policies:home"
keywords = ["house"]
"""
COMMANDS = [
    ["ask", "house: hello"],
    ["run"],
    ["status"],
    ["inbox"],
    ["inbox", "approve", "e-nothing"],
    ["journal", "--last", "3"],
]


def _cli(folder: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PROGRAM, *args], cwd=folder, capture_output=True, text=True, timeout=timeout
    )


def _replies(folder: Path) -> int:
    journal = open_journal(f"sqlite:///{folder / 'journal.db'}")
    try:
        return sum(1 for s in journal.read(kinds=["inbox"]) if isinstance(s.event, InboxItem))
    finally:
        journal.close()


def _one_line_or_success(done: subprocess.CompletedProcess[str], command: list[str]) -> str:
    """What went wrong in one line ('' when the command worked); never a traceback."""
    assert done.returncode in (0, 2), (command, done.returncode, done.stderr[-2000:])
    if done.returncode == 0:
        assert done.stderr == "", (command, done.stderr[-2000:])
        return ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, (command, done.stderr[-2000:])
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def test_the_cli_driver_pauses_on_a_full_disk_and_every_command_says_one_line(
    disk: Path,
) -> None:
    (disk / "prefrontal.toml").write_text(CLI_CONFIG, encoding="utf-8")
    config = load_config(disk / "prefrontal.toml")
    # The test holds the journal open, so SQLite's shared-memory file keeps its room.
    journal = open_journal(config.journal_url())
    router = Router(config)
    now = datetime.now(UTC)
    journal.append([new_request(router, f"house: {n} " + "z" * 3000, at=now) for n in range(20)])
    filler = _fill(disk)
    # With no driver, 'run' and 'ask' drive here: a person waits, so after a short grace
    # they stop and say so in one line instead of waiting for space.
    for command in (["run"], ["ask", "house: hi"]):
        line = _one_line_or_success(_cli(disk, *command), command)
        assert line.startswith(f"error: the disk of the journal at {config.journal_url()!r}")
        assert "this command stopped" in line
    driver = subprocess.Popen(
        [*PROGRAM, "run", "--follow", "--poll", "0.1"],
        cwd=disk,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        # The driver pauses, saying so: nothing of its work fits. Each command says one line.
        assert driver.stderr is not None
        readable, _, _ = select.select([driver.stderr], [], [], 60)
        paused = driver.stderr.readline() if readable else ""
        assert "is full" in paused, (paused, driver.poll())
        said = {" ".join(c): _one_line_or_success(_cli(disk, *c), c) for c in COMMANDS}
        # Reads work on (the journal is open: SQLite's files keep their room); a write says
        # the disk is full, naming the journal and the fix; 'run' waits for the driver.
        assert said["ask house: hello"].startswith(
            f"error: the disk of the journal at {config.journal_url()!r} is full"
        )
        assert "Free some space" in said["ask house: hello"]
        assert "another prefrontal process is driving" in said["run"]
        assert said["status"] == said["inbox"] == said["journal --last 3"] == ""
        assert driver.poll() is None, driver.communicate()
        filler.unlink()
        deadline = time.monotonic() + 60
        while _replies(disk) < 20:
            assert driver.poll() is None, driver.communicate()
            assert time.monotonic() < deadline, "the driver did not resume"
            time.sleep(0.2)
        driver.send_signal(signal.SIGINT)
        _out, err = driver.communicate(timeout=30)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
        journal.close()
    assert "Traceback" not in err, err
    assert "ExceptionGroup" not in err, err
    assert not any("is full" in line for line in err.splitlines()), err  # said once, above
    assert "resumed" in err
    again = open_journal(config.journal_url())
    try:
        assert again.verify() == []
        assert again.unrouted() == []
    finally:
        again.close()
    after = _cli(disk, "status")
    assert after.returncode == 0, after.stderr


def test_the_wal_is_checkpointed_before_it_can_take_a_small_disk(disk: Path) -> None:
    """On a small disk the WAL is folded back early: the disk fills with journal, not WAL.

    (With SQLite's default of 1000 pages, a 2 MiB disk once filled with a 4 KiB database and
    2 MiB of WAL, which no checkpoint could then fold back: the database had no room to grow.)
    """
    pages = wal_pages(disk)
    assert pages == (4 << 20) // (WAL_SHARE_OF_FREE * 4096)
    journal = open_journal(f"sqlite:///{disk / 'j.db'}")
    raw = journal.engine.raw_connection()
    try:
        # Measured as the journal opened (its own files already took a little room).
        assert pages - 8 <= raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] <= pages
    finally:
        raw.close()
    n = 0
    with pytest.raises(JournalFullError):  # noqa: PT012 - appends until the disk is full
        while True:
            journal.append([request(f"w{n + k}", "w" * 2000) for k in range(5)])
            n += 5
    db, wal = (disk / "j.db").stat().st_size, (disk / "j.db-wal").stat().st_size
    assert wal <= 2 * pages * 4096, (db, wal)
    assert db > 3 * wal, (db, wal)
    journal.close()
