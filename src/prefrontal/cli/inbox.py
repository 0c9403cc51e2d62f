"""``prefrontal inbox``: the principal's single queue; approve, deny, route, digest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from prefrontal.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    console,
    drive_or_queue,
    journal_of,
    load,
)
from prefrontal.clock import SystemClock
from prefrontal.config import Config
from prefrontal.journal.base import Journal
from prefrontal.runtime.inbox import InboxEntry, inbox_entries
from prefrontal.runtime.principal import answer_escalation, answer_route
from prefrontal.runtime.router import Router
from prefrontal.runtime.system import System
from prefrontal.seam.events import ApprovalEvent, RoutedEvent

Build = Callable[[Journal], ApprovalEvent | RoutedEvent]
Act = Callable[[System], Awaitable[object]]

app = typer.Typer(help="Read and answer the inbox.", invoke_without_command=True)


def _table(entries: list[InboxEntry], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("id", "when", "from", "kind", "priority", "delivery", "text", "state"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        item = entry.item
        state = "pending" if entry.pending else ("answered" if entry.answer else "")
        table.add_row(
            item.item_id,
            f"{item.at:%m-%d %H:%M}",
            item.domain or "router",
            item.item,
            item.priority,
            item.delivery,
            escape(entry.text),
            state,
        )
    return table


@app.callback()
def show(
    ctx: typer.Context,
    config: ConfigOption = DEFAULT_CONFIG,
    digest: Annotated[bool, typer.Option(help="Show the digest instead.")] = False,
    all_items: Annotated[bool, typer.Option("--all", help="Show every item.")] = False,
) -> None:
    """List what waits for you: escalations and questions first, then recent replies."""
    if ctx.invoked_subcommand is not None:
        return
    cfg = load(config)
    with journal_of(cfg) as journal:
        entries = inbox_entries(journal)
    if digest:
        console.print(_table([e for e in entries if e.item.delivery == "digest"], "Digest"))
        return
    pending = [e for e in entries if e.pending]
    console.print(_table(pending, f"Waiting for you ({len(pending)})"))
    shown = (
        entries
        if all_items
        else [e for e in entries if not e.pending and e.item.delivery == "interrupt"][-10:]
    )
    console.print(_table(shown, "Items" if all_items else "Latest interruptions"))
    in_digest = sum(1 for e in entries if e.item.delivery == "digest")
    console.print(f"{in_digest} items in the digest: prefrontal inbox --digest")


def _answer(cfg: Config, build: Build, act: Act) -> None:
    """Journal an answer through a running system, or straight to the journal if busy."""
    drove, _ = drive_or_queue(cfg, act, build)
    if not drove:
        console.print("Answer journaled; the running driver will act on it.")


def _decide(item_id: str, approved: bool, note: str, config: ConfigOption) -> None:
    cfg = load(config)
    _answer(
        cfg,
        lambda journal: answer_escalation(
            journal, item_id, approved=approved, note=note, at=SystemClock().now()
        ),
        lambda system: system.answer(item_id, approved=approved, note=note),
    )


@app.command()
def approve(
    item_id: Annotated[str, typer.Argument(help="The escalation's id.")],
    note: Annotated[str, typer.Option(help="A note for the orchestrator.")] = "",
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Approve an escalation; any action it proposed is dispatched."""
    _decide(item_id, True, note, config)


@app.command()
def deny(
    item_id: Annotated[str, typer.Argument(help="The escalation's id.")],
    note: Annotated[str, typer.Option(help="A note for the orchestrator.")] = "",
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Deny an escalation; nothing it proposed is done."""
    _decide(item_id, False, note, config)


@app.command()
def route(
    item_id: Annotated[str, typer.Argument(help="The router's question id (q-...).")],
    domain: Annotated[str, typer.Argument(help="The domain that should handle it.")],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Answer the router's question: send the request to DOMAIN."""
    cfg = load(config)
    _answer(
        cfg,
        lambda journal: answer_route(journal, Router(cfg), item_id, domain, at=SystemClock().now()),
        lambda system: system.route(item_id, domain),
    )
