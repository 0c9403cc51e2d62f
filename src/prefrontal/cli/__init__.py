"""The command line: ``prefrontal`` (typer + rich). Renders events; owns no logic.

One module per command group; every command is a module-level function, registered here.
Each imports the runtime parts it uses when it runs, so ``--help`` loads none of them. Every
command drives the same runtime (``open_system``) or
reads the same journal; errors print their message and exit with status 2.
"""

from __future__ import annotations

import sys

import typer

from prefrontal.cli import bench, demo, inbox, models, running, serve, setup, timers, views
from prefrontal.cli.common import errors, text

app = typer.Typer(
    name="prefrontal",
    help=(
        "Prefrontal: a few domain orchestrators over many stateless workers, "
        "with one journal and one inbox."
    ),
    no_args_is_help=True,
    add_completion=False,
    # Plain help and usage errors: no markup is interpreted, and none of rich's Markdown
    # machinery loads for a '--help'.
    rich_markup_mode=None,
)
app.command()(setup.init)
app.command()(running.ask)
app.command()(running.run)
app.add_typer(inbox.app, name="inbox")
app.add_typer(timers.app, name="timers")
app.command()(timers.memory)
app.command()(serve.serve)
app.command()(views.status)
app.command()(views.costs)
app.command("journal")(views.show_journal)
app.command("replay")(views.do_replay)
app.command()(demo.demo)
app.add_typer(bench.app, name="bench")
app.add_typer(models.app, name="models")


def check_argv(argv: list[str]) -> str | None:
    """The error for an argument that is not valid UTF-8 (Python keeps its bytes as surrogates)."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            # Bytes from the OS come back as they were; other lone surrogates show escaped.
            try:
                shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            except UnicodeEncodeError:
                shown = arg.encode("utf-8", "backslashreplace").decode("utf-8")
            return (
                f"argument '{shown}' is not valid UTF-8; pass text in UTF-8 (check the "
                "terminal's or the calling program's encoding)"
            )
    return None


def main() -> None:
    problem = check_argv(sys.argv[1:])
    if problem is not None:
        errors.print(text(("error:", "bold red"), " ", problem))
        raise SystemExit(2)
    app()


__all__ = ["app", "main"]
