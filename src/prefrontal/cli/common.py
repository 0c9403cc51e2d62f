"""Shared CLI pieces: the config option, errors, the consoles, safe text and the transcript.

The consoles never interpret rich markup or emoji codes: every line is built as rich ``Text``
from parts that went through ``printable`` (control characters, escape sequences and bidi
overrides made harmless), so a reply that says ``[link=...]`` or ``\\x1b]8;;`` prints as
exactly those characters.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Coroutine, Generator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from prefrontal.errors import PrefrontalError
from prefrontal.seam.printable import printable

if TYPE_CHECKING:
    from prefrontal.clock import Clock
    from prefrontal.config import Config
    from prefrontal.journal.base import Stored
    from prefrontal.journal.sql import SqlJournal
    from prefrontal.runtime.client import Client, Reads

# Each command imports what it uses when it runs (the config, the journal, the runtime), so
# ``prefrontal --help`` and the reading commands start without loading the whole loop.

console = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
errors = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        help="prefrontal.toml to use (or set PREFRONTAL_CONFIG).",
        envvar="PREFRONTAL_CONFIG",
    ),
]
DEFAULT_CONFIG = Path("prefrontal.toml")

Part = str | tuple[str, str]


def text(*parts: Part) -> Text:
    """One line of safe text: plain strings, or ``(string, style)`` pairs."""
    line = Text()
    for part in parts:
        content, style = part if isinstance(part, tuple) else (part, "")
        line.append(printable(content), style=style)
    return line


def say(*parts: Part) -> None:
    console.print(text(*parts))


def fail(message: str) -> NoReturn:
    """Print one error line (the message names the value and the fix) and exit 2."""
    errors.print(text(("error:", "bold red"), " ", message))
    raise typer.Exit(2)


def table(title: str, columns: tuple[str, ...], *, nowrap: tuple[str, ...] = ()) -> Table:
    """A table whose ``nowrap`` columns (ids you type) never fold."""
    shown = Table(title=title, title_justify="left")
    for column in columns:
        if column in nowrap:
            shown.add_column(column, no_wrap=True, min_width=len(column))
        else:
            shown.add_column(column, overflow="fold")
    return shown


def cell(value: object, style: str = "") -> Text:
    return Text(printable(str(value)), style=style)


@contextmanager
def friendly_errors() -> Generator[None, None, None]:
    """Print a Prefrontal error's message (it names the value and the fix) and exit 2.

    A group of them (from a task group) prints as the one that stands for all: one line.
    """
    try:
        yield
    except PrefrontalError as error:
        fail(str(error))
    except BaseExceptionGroup as group:
        from prefrontal.runtime.failures import collapse

        typed = collapse(group)
        if typed is None:
            raise
        fail(str(typed))


def load(path: Path) -> Config:
    from prefrontal.config import load_config

    with friendly_errors():
        return load_config(path)


@contextmanager
def journal_of(config: Config) -> Generator[SqlJournal, None, None]:
    from prefrontal.journal.sql import open_journal

    with friendly_errors():
        journal = open_journal(config.journal_url(), synchronous=config.journal.synchronous)
    try:
        yield journal
    finally:
        journal.close()


@contextmanager
def reader_of(config: Config) -> Generator[Reads, None, None]:
    """Reads only: reading never drives (nor changes) anything, nor loads SQLAlchemy for a
    SQLite journal."""
    from prefrontal.runtime.client import open_reader

    with friendly_errors(), open_reader(config) as client:
        yield client


def run_async(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    import anyio

    with friendly_errors():
        return anyio.run(main)


@asynccontextmanager
async def client_of(config: Config, *, verbose: bool = False) -> AsyncGenerator[Client, None]:
    """The one client: drives the journal here, or queues for the process that does."""
    from prefrontal.runtime.client import open_client

    async with open_client(config, observe=Transcript(verbose=verbose)) as client:
        yield client


def use_client(config: Config, act: Callable[[Client], Coroutine[Any, Any, Any]]) -> Any:
    """Open a client on ``config``, ``act`` with it, and return what it gave."""

    async def main() -> Any:
        async with client_of(config) as client:
            return await act(client)

    return run_async(main)


STYLE = {
    "request": "bold",
    "routed": "cyan",
    "decision": "magenta",
    "commission": "blue",
    "report": "green",
    "inbox": "bold yellow",
    "timer_set": "dim",
    "timer": "yellow",
    "timer_cancelled": "dim",
    "handoff": "cyan",
    "approval": "bold",
    "percept": "cyan",
    "started": "dim",
}
PRIORITY_STYLE = {"urgent": "bold red", "normal": "", "low": "dim"}
STATE_STYLE = {"pending": "bold yellow", "answered": "green", "fired": "dim", "cancelled": "dim"}


def event_style(stored: Stored) -> str:
    event = stored.event
    if event.kind == "report" and event.status != "ok":
        return "bold red"
    if event.kind == "inbox":
        return PRIORITY_STYLE.get(event.priority, "") or STYLE["inbox"]
    return STYLE.get(event.kind, "")


class Transcript:
    """An observer that prints each journaled event as one readable line."""

    def __init__(self, clock: Clock | None = None, *, verbose: bool = False) -> None:
        self.clock = clock
        self.verbose = verbose
        self.count = 0

    def __call__(self, stored: Stored) -> None:
        from prefrontal.seam.render import one_line

        event = stored.event
        if event.kind == "started" and not self.verbose:
            return
        if event.kind == "decision" and not event.trips and not self.verbose:
            return
        self.count += 1
        moment: datetime = self.clock.now() if self.clock else event.at
        say(
            (f"{moment:%H:%M} #{stored.seq:<4} ", "dim"),
            (one_line(event), event_style(stored)),
        )
        if event.kind == "decision":
            for trip in event.trips:
                say(("           guard ", "red"), (f"{trip.guard}: ", "red"), trip.detail)
