"""SIGINT and SIGTERM stop a loaded driver within 2 s; nothing acknowledged is lost.

A real ``prefrontal run --follow`` drives a backlog of requests whose commissions take a
while (a sync tool in a thread, an async one); the signal comes mid-flight. The driver must
exit within 2 s with the journal sound; a restart then finishes the backlog, and every
request is answered exactly once with each commission's effect written once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from prefrontal import InboxItem, Report, load_config, open_journal
from prefrontal.runtime.principal import new_request
from prefrontal.runtime.router import Router

PROGRAM = [sys.executable, "-c", "from prefrontal.cli import main; main()"]
REQUESTS = 120

MODULE = """
import time
from pathlib import Path

import anyio

from prefrontal import CommissionAction, CommissionContext, Decision, ReplyAction, Report
from prefrontal import RoutedEvent

EFFECTS = Path(__file__).with_name("effects.txt")


def policy(state, event):
    if isinstance(event, RoutedEvent):
        n = int(event.text.split()[-1])
        worker = "blocking" if n % 2 else "waiting"
        return Decision.of(CommissionAction(worker=worker, inputs={"n": n}))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=f"done {event.status}"))
    return Decision.of()


def _effect(context):
    seen = set(EFFECTS.read_text().split()) if EFFECTS.exists() else set()
    if context.idempotency_key not in seen:
        with EFFECTS.open("a") as out:
            out.write(context.idempotency_key + "\\n")


def blocking(n: int, context: CommissionContext) -> int:
    time.sleep(0.4)  # a sync tool: it blocks its thread
    _effect(context)
    return n


async def waiting(n: int, context: CommissionContext) -> int:
    await anyio.sleep(0.4)
    _effect(context)
    return n
"""

CONFIG = """
[journal]
url = "sqlite:///journal.db"

[workers.blocking]
function = "sigmod:blocking"
concurrency = 4

[workers.waiting]
function = "sigmod:waiting"
concurrency = 4

[domains.home]
charter = "the house"
policy = "sigmod:policy"
workers = ["blocking", "waiting"]
keywords = ["chore"]
"""


def setup(folder: Path) -> None:
    (folder / "sigmod.py").write_text(MODULE, encoding="utf-8")
    (folder / "prefrontal.toml").write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    config = load_config(folder / "prefrontal.toml")
    journal = open_journal(config.journal_url())
    router = Router(config)
    at = datetime.now(UTC)
    journal.append([new_request(router, f"chore {n}", at=at) for n in range(REQUESTS)])
    journal.close()


def reports(folder: Path) -> int:
    journal = open_journal(f"sqlite:///{folder / 'journal.db'}")
    try:
        return sum(1 for _ in journal.read(kinds=["report"]))
    finally:
        journal.close()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_a_loaded_driver_within_2_s_and_nothing_is_lost(
    tmp_path: Path, signum: signal.Signals
) -> None:
    setup(tmp_path)
    driver = subprocess.Popen(
        [*PROGRAM, "run", "--follow", "--poll", "0.1"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        while reports(tmp_path) < 8:  # loaded: commissions in flight, a backlog behind them
            assert driver.poll() is None, driver.communicate()
            assert time.monotonic() < deadline, "the driver made no progress"
            time.sleep(0.1)
        sent = time.monotonic()
        driver.send_signal(signum)
        out, err = driver.communicate(timeout=30)
        stopped_s = time.monotonic() - sent
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    assert "Traceback" not in err, err
    assert stopped_s < 2.0, f"stopped {stopped_s:.2f} s after {signum.name}"
    assert "Stopped." in out
    journal = open_journal(f"sqlite:///{tmp_path / 'journal.db'}")
    try:
        assert journal.verify() == []
        answered_before = sum(1 for _ in journal.read(kinds=["report"]))
    finally:
        journal.close()
    assert answered_before < REQUESTS  # the signal came mid-flight

    finish = subprocess.run(
        [*PROGRAM, "run"], cwd=tmp_path, capture_output=True, text=True, timeout=240
    )
    assert finish.returncode == 0, finish.stderr
    journal = open_journal(f"sqlite:///{tmp_path / 'journal.db'}")
    try:
        assert journal.verify() == []
        done = [s.event for s in journal.read(kinds=["report"])]
        replies = [
            s.event
            for s in journal.read(kinds=["inbox"])
            if isinstance(s.event, InboxItem) and s.event.item == "reply"
        ]
    finally:
        journal.close()
    assert len(done) == REQUESTS
    assert all(isinstance(r, Report) and r.status == "ok" for r in done)
    assert Counter(r.thread_id for r in replies) == Counter(
        {r.thread_id: 1 for r in done}  # type: ignore[union-attr]
    )
    effects = (tmp_path / "effects.txt").read_text().split()
    assert len(effects) == len(set(effects)) == REQUESTS
