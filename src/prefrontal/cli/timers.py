"""``prefrontal timers`` and ``prefrontal memory``: what domains have scheduled and remember."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from prefrontal.cli.common import (
    DEFAULT_CONFIG,
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
    from prefrontal.runtime.client import Client, Timer

app = typer.Typer(
    help="List the domains' timers, or cancel one.",
    invoke_without_command=True,
    rich_markup_mode=None,
)


@app.callback()
def show(
    ctx: typer.Context,
    config: ConfigOption = DEFAULT_CONFIG,
    all_timers: Annotated[bool, typer.Option("--all", help="Also fired and cancelled.")] = False,
) -> None:
    """List pending timers (ids you can cancel), soonest first."""
    if ctx.invoked_subcommand is not None:
        return
    cfg = load(config)
    with reader_of(cfg) as client:
        timers = client.timers(ended=all_timers)
    shown = [t for t in timers if all_timers or t.state == "pending"]
    shown.sort(key=lambda t: t.due_at)
    title = "Timers" if all_timers else f"Pending timers ({len(shown)})"
    rows = table(title, ("id", "domain", "name", "due", "state"), nowrap=("id", "due", "state"))
    for timer in shown:
        rows.add_row(
            cell(timer.timer_id, "bold"),
            cell(timer.domain),
            cell(timer.name),
            cell(f"{timer.due_at:%Y-%m-%d %H:%M}"),
            cell(timer.state, STATE_STYLE.get(timer.state, "")),
        )
    console.print(rows)


@app.command()
def cancel(
    timer_id: Annotated[str, typer.Argument(help="The timer's id (see 'prefrontal timers').")],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Cancel a pending timer: it never fires."""
    cfg = load(config)

    async def act(client: Client) -> Timer:
        return await client.cancel_timer(timer_id)

    timer: Timer = use_client(cfg, act)
    say(f"Cancelled timer {timer.timer_id} ({timer.domain}: {timer.name}).")


def memory(
    domain: Annotated[str, typer.Argument(help="The domain whose memory to show.")],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """What a domain remembers: the notes its policy kept and its compacted history."""
    cfg = load(config)
    with reader_of(cfg) as client:
        remembered = client.memory(domain)
    say(
        (f"{remembered.domain}: ", "bold"),
        f"{remembered.decisions} decisions, spent ${remembered.spent_usd:.4f}, "
        f"{len(remembered.notes)} notes, {len(remembered.compacted)} summaries, "
        f"{remembered.forgotten} forgotten.",
    )
    for note in remembered.notes:
        say(("  note ", "cyan"), note)
    for summary in remembered.compacted:
        say(("  summary ", "dim"), summary)
