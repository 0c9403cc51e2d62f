"""The driver lock: one process drives a journal, on SQLite and on PostgreSQL alike.

On PostgreSQL the lock is a session-level advisory lock held on a connection of its own, so
a second ``prefrontal ask`` queues its request instead of recovering (and running a second
time) the commission the driving process has in flight. The server is ``pg_server.py``'s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from prefrontal import JournalBusyError, load_config, open_journal, open_system
from prefrontal.journal.lock import AdvisoryLock, FileLock, NoLock, driver_lock

PROGRAM = [sys.executable, "-c", "from prefrontal.cli import main; main()"]

POLICY = '''
import os
from pathlib import Path

from prefrontal import CommissionAction, Decision, ReplyAction, Report, RoutedEvent


def policy(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="slow", inputs={"text": event.text}))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=f"done: {event.status}"))
    return Decision.of()


async def slow(text: str) -> str:
    """Leave an effect per run, then take a while: the commission stays in flight."""
    import anyio

    with open(Path(__file__).with_name("effects.txt"), "a", encoding="utf-8") as out:
        out.write(text + "\\n")
    started = Path(__file__).with_name("started")
    started.touch()
    await anyio.sleep(float(os.environ.get("SLOW_S", "4")))
    return text
'''


def write_config(folder: Path, url: str) -> Path:
    (folder / "lockpolicy.py").write_text(POLICY, encoding="utf-8")
    config = folder / "prefrontal.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [journal]
            url = "{url}"

            [workers.slow]
            function = "lockpolicy:slow"
            timeout_s = 30

            [domains.home]
            charter = "the house"
            policy = "lockpolicy:policy"
            workers = ["slow"]
            keywords = ["plants"]
            """
        ),
        encoding="utf-8",
    )
    return config


def cli(*args: str, cwd: Path, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "SLOW_S": "4"}
    return subprocess.Popen(  # type: ignore[call-overload]
        [*PROGRAM, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def wait_for(path: Path, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear within {timeout_s} s")
        time.sleep(0.05)


# -- the lock on its own ---------------------------------------------------------------------


def test_each_journal_gets_its_kind_of_lock(tmp_path: Path, pg_url: str) -> None:
    sqlite = open_journal(f"sqlite:///{tmp_path / 'j.db'}")
    memory = open_journal("sqlite:///:memory:")
    postgres = open_journal(pg_url)
    try:
        assert isinstance(driver_lock(sqlite), FileLock)
        assert isinstance(driver_lock(memory), NoLock)
        assert isinstance(driver_lock(postgres), AdvisoryLock)
    finally:
        for journal in (sqlite, memory, postgres):
            journal.close()


def test_the_advisory_lock_admits_one_holder_until_released(pg_url: str) -> None:
    first, second = open_journal(pg_url), open_journal(pg_url)
    try:
        one, two = driver_lock(first), driver_lock(second)
        assert one.acquire()
        assert not two.acquire()
        one.release()
        assert two.acquire()
        assert not one.acquire()
        two.release()
    finally:
        first.close()
        second.close()


def test_a_killed_driver_frees_the_advisory_lock(pg_url: str) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from prefrontal import open_journal\n"
            "from prefrontal.journal.lock import driver_lock\n"
            f"lock = driver_lock(open_journal({pg_url!r}))\n"
            "print(lock.acquire(), flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    journal = open_journal(pg_url)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "True"
        lock = driver_lock(journal)
        assert not lock.acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not lock.acquire():  # the server notices the dead session
            assert time.monotonic() < deadline, "the dead driver's lock was never released"
            time.sleep(0.05)
        lock.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        journal.close()


@pytest.mark.anyio
async def test_a_second_system_on_one_postgresql_journal_is_refused(
    tmp_path: Path, pg_url: str
) -> None:
    config = load_config(write_config(tmp_path, pg_url))
    async with open_system(config):
        with pytest.raises(JournalBusyError, match="advisory lock"):
            async with open_system(config):
                pass
    async with open_system(config):  # released on exit
        pass


# -- two processes on one PostgreSQL journal ---------------------------------------------------


def test_a_second_ask_queues_and_the_commission_in_flight_runs_once(
    tmp_path: Path, pg_url: str
) -> None:
    write_config(tmp_path, pg_url)
    first = cli("ask", "water the plants", cwd=tmp_path)
    try:
        wait_for(tmp_path / "started")  # the first process's commission is in flight
        second = subprocess.run(
            [*PROGRAM, "ask", "water the plants again"],
            cwd=tmp_path,
            env={**os.environ, "SLOW_S": "0"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 0, second.stderr
        # It queued while the first drove, and drove its request itself once the first let go
        # of the lock (a one-shot 'ask' does not poll for other processes' requests).
        assert "→ home: done: ok" in second.stdout
        out, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        assert "done: ok" in out
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    effects = (tmp_path / "effects.txt").read_text(encoding="utf-8").splitlines()
    assert effects == ["water the plants", "water the plants again"]  # each once, in turn
