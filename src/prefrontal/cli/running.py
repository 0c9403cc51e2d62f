"""``prefrontal run`` and ``prefrontal ask``: drive the system, or hand it a request."""

from __future__ import annotations

from typing import Annotated

import typer

from prefrontal.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    Transcript,
    console,
    drive_or_queue,
    journal_of,
    load,
    run_async,
)
from prefrontal.clock import SystemClock
from prefrontal.journal.base import Journal
from prefrontal.runtime.inbox import inbox_entries
from prefrontal.runtime.principal import new_request
from prefrontal.runtime.router import Router
from prefrontal.runtime.system import System, open_system
from prefrontal.seam.events import RequestEvent


def register(app: typer.Typer) -> None:
    @app.command()
    def ask(
        text: Annotated[str, typer.Argument(help="The request; '@domain ...' addresses one.")],
        domain: Annotated[
            str | None, typer.Option("--domain", "-d", help="Send it to this domain.")
        ] = None,
        config: ConfigOption = DEFAULT_CONFIG,
        verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    ) -> None:
        """Send a request to the router, and process it until nothing more is due."""
        cfg = load(config)

        async def submit(system: System) -> str:
            stored = await system.submit(text, domain=domain)
            return stored.event.request_id  # type: ignore[union-attr]

        def queue(_: Journal) -> RequestEvent:
            return new_request(Router(cfg), text, at=SystemClock().now(), domain=domain)

        drove, done = drive_or_queue(cfg, submit, queue, verbose=verbose)
        if not drove:
            console.print(
                f"Queued request {done.request_id}; the running 'prefrontal run --follow' will "
                "handle it. Read the answer with 'prefrontal inbox'."
            )
            return
        request_id = done
        with journal_of(cfg) as journal:
            answers = [e for e in inbox_entries(journal) if e.item.thread_id == request_id]
        for entry in answers:
            console.print(f"[bold]→ {entry.item.domain or 'router'}:[/] {entry.text}")

    @app.command()
    def run(
        config: ConfigOption = DEFAULT_CONFIG,
        follow: Annotated[
            bool,
            typer.Option("--follow", "-f", help="Keep running: poll for requests, fire timers."),
        ] = False,
        poll: Annotated[float, typer.Option(help="Seconds between polls with --follow.")] = 0.5,
        verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    ) -> None:
        """Bring the system up: recover, process what is due, stop (or keep on with --follow)."""
        cfg = load(config)

        async def main() -> None:
            async with open_system(cfg) as system:
                system.observe(Transcript(verbose=verbose))
                if follow:
                    console.print(f"Driving {cfg.journal_url()}; Ctrl-C stops.")
                    await system.serve(poll_s=poll)
                else:
                    await system.run_until_idle()

        try:
            run_async(main)
        except KeyboardInterrupt:
            console.print("Stopped.")
        with journal_of(cfg) as journal:
            pending = [e for e in inbox_entries(journal) if e.pending]
            console.print(f"Journal: {journal.last_seq()} events. Inbox: {len(pending)} pending.")
