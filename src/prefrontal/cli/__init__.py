"""The command line: ``prefrontal`` (typer + rich). Renders events; owns no logic.

One module per command group. Every command drives the same runtime (``open_system``) or
reads the same journal; errors print their message and exit with status 2.
"""

from __future__ import annotations

import typer

from prefrontal.cli import bench, demo, inbox, models, running, setup, views

app = typer.Typer(
    name="prefrontal",
    help=(
        "Prefrontal: a few domain orchestrators over many stateless workers, "
        "with one journal and one inbox."
    ),
    no_args_is_help=True,
    add_completion=False,
)
setup.register(app)
running.register(app)
app.add_typer(inbox.app, name="inbox")
views.register(app)
demo.register(app)
app.add_typer(bench.app, name="bench")
app.add_typer(models.app, name="models")


def main() -> None:
    app()


__all__ = ["app", "main"]
