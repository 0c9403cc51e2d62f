"""``prefrontal init``: write a working starter config, a rule policy and a tool worker.

The files are package data (``prefrontal/cli/starter``), checked by ruff and pyright.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from prefrontal.cli.common import fail, say

STARTER_FILES = ("prefrontal.toml", "policies.py", "workers.py")


def starter_files() -> dict[str, str]:
    """The starter files by name, as ``prefrontal init`` writes them."""
    folder = resources.files("prefrontal.cli.starter")
    return {name: (folder / name).read_text(encoding="utf-8") for name in STARTER_FILES}


def init(
    folder: Annotated[Path, typer.Argument(help="Where to write the files.")] = Path("."),
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
) -> None:
    """Write a working starter prefrontal.toml, policies.py and workers.py."""
    from prefrontal.http.auth import TOKEN_FILE, create_token

    files = starter_files()
    existing = [name for name in files if (folder / name).exists()]
    if existing and not force:
        fail(
            f"{existing} already exist in {folder}; "
            "pass --force to overwrite, or choose another folder."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
    except OSError as error:
        fail(
            f"cannot write the starter files in {str(folder)!r} ({error.strerror}); "
            "choose a folder that is not under a file and that you can write"
        )
    if not (folder / TOKEN_FILE).exists():
        create_token(folder)  # for 'prefrontal serve'; never overwritten by --force
    say(f"Wrote {', '.join(files)} and {TOKEN_FILE} in {folder.resolve()}.")
    say('Try: prefrontal ask "count the words of this note"')
