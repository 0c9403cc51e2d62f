"""A full disk pauses the driver, which says so once, retries, and resumes with nothing lost.

The journal lives on a 4 MiB tmpfs mounted by the test (root only: elsewhere the test is
skipped, saying why). A filler file takes the last free byte while requests are submitted;
once it is removed the waiting writes go through and every request is answered.
"""

from __future__ import annotations

import errno
import logging
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import pytest

from prefrontal import Config, JournalFullError, open_journal, open_system
from prefrontal.seam import InboxItem
from support.records import request

pytestmark = pytest.mark.anyio

CONFIG = """
[journal]
url = "sqlite:///{db}"

[domains.home]
charter = "the house"
policy = "full_mod:home"
"""

MODULE = """
from prefrontal import *

def home(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(ReplyAction(text="noted: " + event.text[:40]))
    return Decision.of()
"""


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


async def test_the_driver_pauses_on_a_full_disk_and_resumes_with_nothing_lost(
    disk: Path, write_config: Callable[..., Config], caplog: pytest.LogCaptureFixture
) -> None:
    config = write_config(CONFIG.format(db=disk / "j.db"), full_mod=MODULE)
    caplog.set_level(logging.WARNING, logger="prefrontal")
    acknowledged: list[str] = []
    async with open_system(config) as system:
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
    journal.close()
