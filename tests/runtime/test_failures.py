"""Many failures at once become one typed error: a full disk first, naming the journal.

A task group raises an exception group; ``collapse`` picks what stands for all of it, and
``open_system`` and the CLI show that one error (one line, exit 2), never the group. A group
holding a bug is left alone, so its traceback is kept.
"""

from __future__ import annotations

import asyncio
import errno
import sqlite3
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from typer.testing import CliRunner

from prefrontal import (
    Config,
    ConfigError,
    JournalFullError,
    PrefrontalError,
    WorkerError,
    open_system,
)
from prefrontal.cli.common import friendly_errors
from prefrontal.runtime.failures import collapse, leaves, sole, unless_disk_stays_full
from prefrontal.runtime.writer import Writer
from prefrontal.testing import MemoryJournal

URL = "sqlite:////data/prefrontal.db"


def full(n: int) -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", f"/data/evidence/{n}.wav")


def test_fifteen_full_disk_errors_are_one_journal_full_error_naming_the_journal() -> None:
    group = ExceptionGroup("unhandled errors in a TaskGroup", [full(n) for n in range(15)])
    typed = collapse(group, journal_url=URL)
    assert isinstance(typed, JournalFullError)
    assert typed.retryable
    assert str(typed).startswith(f"the disk of the journal at {URL!r} is full")
    assert "Free some space and run the command again" in str(typed)
    assert str(typed).endswith("(14 more failed with it: JournalFullError)")
    assert "\n" not in str(typed)


def test_a_full_disk_stands_for_the_failures_it_caused_whatever_their_order() -> None:
    caused = [WorkerError("worker 'save' raised OSError"), ConfigError("later")]
    nested = ExceptionGroup("outer", [*caused, ExceptionGroup("inner", [full(1), full(2)])])
    typed = collapse(nested, journal_url=URL)
    assert isinstance(typed, JournalFullError)
    assert "(3 more failed with it: ConfigError, JournalFullError, WorkerError)" in str(typed)


def test_sqlite_full_and_a_typed_full_error_are_recognised() -> None:
    sqlite_full = sqlite3.OperationalError("database or disk is full")
    typed_full = JournalFullError(f"the disk of the journal at {URL!r} is full; retry.")
    typed = collapse(ExceptionGroup("g", [sqlite_full, typed_full]), journal_url=URL)
    assert isinstance(typed, JournalFullError)
    # The journal's own error keeps its message; the group only adds the count.
    assert str(typed).startswith(f"the disk of the journal at {URL!r} is full; retry.")


def test_a_single_typed_error_is_itself_and_cancellations_do_not_count() -> None:
    error = ConfigError("domain 'x': bad")
    group = BaseExceptionGroup("g", [error, asyncio.CancelledError()])
    assert collapse(group) is error


def test_a_group_with_a_bug_in_it_is_left_alone() -> None:
    group = ExceptionGroup("g", [full(1), KeyError("bug")])
    assert collapse(group, journal_url=URL) is None
    assert [type(e) for e in leaves(group)] == [OSError, KeyError]
    interrupted = BaseExceptionGroup("g", [full(1), KeyboardInterrupt()])
    assert collapse(interrupted) is None


def test_a_failing_disk_that_is_not_full_is_not_called_full(tmp_path: Path) -> None:
    io = sqlite3.OperationalError("disk I/O error")  # tmp_path has room: not a full disk
    assert collapse(ExceptionGroup("g", [io]), journal_url=f"sqlite:///{tmp_path}/j.db") is None


MODULE = """
from prefrontal import Decision

def rule(state, event):
    return Decision.of()
"""


@pytest.mark.anyio
async def test_open_system_raises_one_typed_error_for_a_group_of_full_disk_errors(
    write_config: Callable[..., Config],
) -> None:
    config = write_config(
        '[domains.home]\ncharter = "the house"\npolicy = "failures_rule:rule"\n',
        failures_rule=MODULE,
    )

    async def fail_together() -> None:
        async with open_system(config, stop_on_signals=False), anyio.create_task_group() as tg:
            for n in range(15):

                async def write(n: int = n) -> None:
                    raise full(n)

                tg.start_soon(write)

    with pytest.raises(JournalFullError) as caught:
        await fail_together()
    assert str(caught.value).startswith(f"the disk of the journal at {config.journal_url()!r}")
    assert "(14 more failed with it" in str(caught.value)


def test_the_cli_prints_a_group_as_one_line() -> None:
    import typer

    app = typer.Typer()

    @app.command()
    def boom() -> None:
        with friendly_errors():
            raise ExceptionGroup("unhandled errors in a TaskGroup", [full(n) for n in range(15)])

    result = CliRunner().invoke(app, [])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: a disk is full")
    assert isinstance(result.exception, SystemExit)


def test_collapsed_errors_are_prefrontal_errors_and_pickle() -> None:
    import pickle

    typed = collapse(ExceptionGroup("g", [full(1), full(2)]), journal_url=URL)
    assert isinstance(typed, PrefrontalError)
    again = pickle.loads(pickle.dumps(typed))
    assert type(again) is JournalFullError
    assert str(again) == str(typed)
    assert again.retryable


@pytest.mark.anyio
async def test_a_command_a_person_waits_on_gives_up_on_a_disk_that_stays_full() -> None:
    writer = Writer(MemoryJournal(), lambda _stored: None)
    writer.paused = True  # as the writer is while its disk stays full

    async def forever() -> None:
        await anyio.sleep_forever()

    with anyio.fail_after(5), pytest.raises(JournalFullError, match="this command stopped"):
        await unless_disk_stays_full(writer, URL, forever, grace_s=0.2)


@pytest.mark.anyio
async def test_what_the_command_raises_comes_out_as_itself_and_its_result_as_is() -> None:
    writer = Writer(MemoryJournal(), lambda _stored: None)

    async def refuse() -> None:
        raise ConfigError("item 'e-1' is answered")

    with pytest.raises(ConfigError, match="is answered"):
        await unless_disk_stays_full(writer, URL, refuse)

    async def answer() -> int:
        return 42

    assert await unless_disk_stays_full(writer, URL, answer) == 42


@pytest.mark.anyio
async def test_a_lone_exception_of_another_kind_leaves_open_system_as_itself(
    write_config: Callable[..., Config],
) -> None:
    config = write_config(
        '[domains.home]\ncharter = "the house"\npolicy = "failures_rule2:rule"\n',
        failures_rule2=MODULE,
    )
    with pytest.raises(SystemExit) as caught:
        async with open_system(config, stop_on_signals=False):
            raise SystemExit(3)
    assert caught.value.code == 3
    assert sole(ExceptionGroup("g", [KeyError("a"), KeyError("b")])) is None
