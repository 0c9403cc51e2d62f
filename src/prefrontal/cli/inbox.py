"""``prefrontal inbox``: the principal's single queue; approve, deny, route, digest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from prefrontal.cli.common import (
    DEFAULT_CONFIG,
    PRIORITY_STYLE,
    STATE_STYLE,
    ConfigOption,
    cell,
    console,
    load,
    reader_of,
    say,
    table,
    use_client,
)

if TYPE_CHECKING:
    from prefrontal.runtime.client import Answered, Client
    from prefrontal.runtime.inbox import InboxEntry

app = typer.Typer(
    help="Read and answer the inbox.", invoke_without_command=True, rich_markup_mode=None
)

_COLUMNS = ("id", "when", "from", "kind", "priority", "delivery", "text", "state")


def entry_state(entry: InboxEntry) -> str:
    return "pending" if entry.pending else ("answered" if entry.answer else "")


def _table(entries: list[InboxEntry], title: str) -> Table:
    shown = table(title, _COLUMNS, nowrap=("id", "when", "from", "priority", "state"))
    for entry in entries:
        item = entry.item
        state = entry_state(entry)
        shown.add_row(
            cell(item.item_id, "bold"),
            cell(f"{item.at:%m-%d %H:%M}"),
            cell(item.domain or "router"),
            cell(item.item),
            cell(item.priority, PRIORITY_STYLE[item.priority]),
            cell(item.delivery),
            cell(entry.text),
            cell(state, STATE_STYLE.get(state, "")),
        )
    return shown


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
    with reader_of(cfg) as client:
        # Only --digest and --all read every item; the default view reads indexed ranges.
        entries = client.inbox() if digest or all_items else client.recent_inbox(200)
        pending = client.pending()
        in_digest = client.digest_count()
    if digest:
        console.print(_table([e for e in entries if e.item.delivery == "digest"], "Digest"))
        return
    console.print(_table(pending, f"Waiting for you ({len(pending)})"))
    shown = (
        entries
        if all_items
        else [e for e in entries if not e.pending and e.item.delivery == "interrupt"][-10:]
    )
    console.print(_table(shown, "Items" if all_items else "Latest interruptions"))
    say(f"{in_digest} items in the digest: prefrontal inbox --digest")


def _said(answered: Answered, verb: str) -> None:
    if answered.queued:
        say(f"{verb} {answered.item_id}; the driving process acted on it.")
    else:
        say(f"{verb} {answered.item_id}.")


def _decide(item_id: str, approved: bool, note: str, config: ConfigOption) -> None:
    cfg = load(config)

    async def act(client: Client) -> Answered:
        return await client.decide(item_id, approved=approved, note=note)

    _said(use_client(cfg, act), "Approved" if approved else "Denied")


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

    async def act(client: Client) -> Answered:
        return await client.route(item_id, domain)

    _said(use_client(cfg, act), f"Routed to {domain}:")
