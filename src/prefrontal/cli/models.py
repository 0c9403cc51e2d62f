"""``prefrontal models check TIER``: which structured output mode works on a tier's server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from prefrontal.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    cell,
    console,
    friendly_errors,
    load,
    say,
)

if TYPE_CHECKING:
    from prefrontal.config import StructuredMode
    from prefrontal.models.check import ProbeResult

app = typer.Typer(
    help="Check the configured model tiers.", no_args_is_help=True, rich_markup_mode=None
)


@app.command()
def check(
    tier: Annotated[str, typer.Argument(help="the tier to probe, a name under [models]")],
    mode: Annotated[
        list[str] | None,
        typer.Option("--mode", "-m", help="probe only this structured output mode (repeatable)"),
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Probe TIER once per structured output mode and say which yields valid output.

    Each probe is one model call (no retries) within the tier's timeout_s. Exits 1 when no
    mode works, showing what the server answered.
    """
    import anyio

    from prefrontal.models.check import check_tier  # pydantic-ai loads only here

    cfg = load(config)
    modes: tuple[StructuredMode, ...] | None = None
    if mode:
        allowed = ("tool", "json_schema", "json_object", "prompted")
        for m in mode:
            if m not in allowed:
                raise typer.BadParameter(f"mode {m!r}: use one of {list(allowed)}")
        modes = tuple(mode)  # type: ignore[assignment]
    with friendly_errors():
        results = anyio.run(lambda: check_tier(cfg, tier, modes=modes))
    console.print(_table(tier, results))
    working = [r.mode for r in results if r.ok]
    if working:
        advice = f'Set structured = "{working[0]}" in [models.{tier}].'
        say(f"Works: {', '.join(working)}. {advice}")
        return
    say(("No mode gave valid output", "bold red"), f" for tier {tier!r}; what came back:")
    for result in results:
        for line in result.evidence:
            say(f"  {result.mode}: {line}")
    raise typer.Exit(1)


def _table(tier: str, results: list[ProbeResult]) -> Table:
    from prefrontal.models.check import PROMPT

    table = Table(title=cell(f"Tier {tier}: {PROMPT}"), title_justify="left")
    for column in ("mode", "result", "seconds", "requests", "tokens", "detail"):
        table.add_column(column, overflow="fold")
    for result in results:
        tokens = sum(u.tokens for u in result.usage)
        requests = sum(u.requests for u in result.usage)
        table.add_row(
            cell(result.mode),
            cell("valid", "green") if result.ok else cell("failed", "red"),
            cell(f"{result.seconds:.1f}"),
            cell(requests),
            cell(f"{tokens:,}"),
            cell(result.detail),
        )
    return table
