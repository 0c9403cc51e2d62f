"""Shared CLI pieces: the config option, error handling, the console and the transcript."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Generator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer
from rich.console import Console
from rich.markup import escape

from prefrontal.clock import Clock
from prefrontal.config import Config, load_config
from prefrontal.errors import JournalBusyError, PrefrontalError
from prefrontal.journal.base import Journal, Stored
from prefrontal.journal.sql import SqlJournal, open_journal
from prefrontal.runtime.system import System, open_system
from prefrontal.seam.events import Event
from prefrontal.seam.render import one_line

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False)

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


@contextmanager
def friendly_errors() -> Generator[None, None, None]:
    """Print a Prefrontal error's message (it names the value and the fix) and exit 2."""
    try:
        yield
    except PrefrontalError as error:
        errors.print(f"[bold red]error:[/] {escape(str(error))}")
        raise typer.Exit(2) from None


def load(path: Path) -> Config:
    with friendly_errors():
        return load_config(path)


@contextmanager
def journal_of(config: Config) -> Generator[SqlJournal, None, None]:
    with friendly_errors():
        journal = open_journal(config.journal_url(), synchronous=config.journal.synchronous)
    try:
        yield journal
    finally:
        journal.close()


def run_async(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    with friendly_errors():
        return anyio.run(main)


def drive_or_queue(
    config: Config,
    act: Callable[[System], Awaitable[Any]],
    queue: Callable[[Journal], Event],
    *,
    verbose: bool = False,
) -> tuple[bool, Any]:
    """Bring the system up and ``act`` on it, then process until idle: (True, what act gave).

    If another process drives the journal, journal ``queue(journal)`` for that process to act
    on instead: (False, the queued event). One path for every command that changes the world.
    """

    async def main() -> tuple[bool, Any]:
        try:
            async with open_system(config) as system:
                system.observe(Transcript(verbose=verbose))
                done = await act(system)
                await system.run_until_idle()
                return True, done
        except JournalBusyError:
            return False, None

    drove, done = run_async(main)
    if drove:
        return True, done
    with journal_of(config) as journal, friendly_errors():
        queued = queue(journal)
        journal.append([queued])
    return False, queued


_STYLE = {
    "request": "bold",
    "routed": "cyan",
    "decision": "magenta",
    "commission": "blue",
    "report": "green",
    "inbox": "bold yellow",
    "timer_set": "dim",
    "timer": "yellow",
    "handoff": "cyan",
    "approval": "bold",
    "percept": "cyan",
    "started": "dim",
}


class Transcript:
    """An observer that prints each journaled event as one readable line."""

    def __init__(self, clock: Clock | None = None, *, verbose: bool = False) -> None:
        self.clock = clock
        self.verbose = verbose
        self.count = 0

    def __call__(self, stored: Stored) -> None:
        event = stored.event
        if event.kind == "started" and not self.verbose:
            return
        if event.kind == "decision" and not event.trips and not self.verbose:  # type: ignore[union-attr]
            return
        self.count += 1
        moment: datetime = self.clock.now() if self.clock else event.at
        style = _STYLE.get(event.kind, "")
        text = escape(one_line(event))
        if event.kind == "report" and event.status != "ok":  # type: ignore[union-attr]
            style = "bold red"
        console.print(f"[dim]{moment:%H:%M}[/] [dim]#{stored.seq:<4}[/] [{style}]{text}[/]")
        if event.kind == "decision":
            for trip in event.trips:  # type: ignore[union-attr]
                console.print(f"           [red]guard {trip.guard}:[/] {escape(trip.detail)}")
