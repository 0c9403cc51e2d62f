"""``prefrontal run`` and ``prefrontal ask``: drive the system, or hand it a request."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated

import typer

from prefrontal.cli.common import (
    DEFAULT_CONFIG,
    PRIORITY_STYLE,
    ConfigOption,
    Transcript,
    client_of,
    console,
    fail,
    journal_of,
    load,
    run_async,
    say,
)

if TYPE_CHECKING:
    from prefrontal.runtime.client import Submitted


def ask(
    text: Annotated[str, typer.Argument(help="The request; '@domain ...' addresses one.")],
    domain: Annotated[
        str | None, typer.Option("--domain", "-d", help="Send it to this domain.")
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Send a request to the router, and process it until nothing more is due.

    When another process drives the journal, the request is queued for it, and this waits
    until it is routed (or drives it here once that process has stopped).
    """
    cfg = load(config)

    async def main() -> Submitted:
        async with client_of(cfg, verbose=verbose) as client:
            busy = "queued: waiting for the driver…" if not client.drives else "working…"
            with console.status(busy, spinner="dots"):
                return await client.ask(text, domain=domain)

    submitted: Submitted = run_async(main)
    if submitted.queued and not submitted.answers:
        say(
            f"Queued request {submitted.request_id}; the driving process routed it. "
            "Read the answer with 'prefrontal inbox'."
        )
    for entry in submitted.answers:
        item = entry.item
        say((f"→ {item.domain or 'router'}: ", "bold"), (entry.text, PRIORITY_STYLE[item.priority]))


def run(
    config: ConfigOption = DEFAULT_CONFIG,
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", help="Keep running: poll for requests, fire timers."),
    ] = False,
    poll: Annotated[float, typer.Option(help="Seconds between polls with --follow.")] = 0.1,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Bring the system up: recover, process what is due, stop (or keep on with --follow)."""
    if not math.isfinite(poll) or not 0.01 <= poll <= 3600:
        fail(f"--poll {poll}: give the seconds between polls, from 0.01 to 3600 (e.g. 0.5)")
    from prefrontal.runtime.failures import unless_disk_stays_full
    from prefrontal.runtime.inbox import pending_entries
    from prefrontal.runtime.system import open_system

    cfg = load(config)

    async def main() -> None:
        async with open_system(cfg) as system:
            system.observe(Transcript(verbose=verbose))
            if follow:
                say(f"Driving {cfg.journal_url()}; Ctrl-C stops.")
                await system.serve(poll_s=poll)
            else:  # a person waits on it: a full disk is one line, not a pause
                system.writer.patient = False
                await unless_disk_stays_full(
                    system.writer, cfg.journal_url(), system.run_until_idle
                )

    try:
        run_async(main)
    except KeyboardInterrupt:
        say("Stopped.")
    with journal_of(cfg) as journal:
        pending = pending_entries(journal)
        say(f"Journal: {journal.last_seq()} events. Inbox: {len(pending)} pending.")
