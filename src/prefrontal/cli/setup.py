"""``prefrontal init``: write a working starter config and a rule policy module."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prefrontal.cli.common import fail, say
from prefrontal.http.auth import TOKEN_FILE, create_token

STARTER_CONFIG = """\
# prefrontal.toml: the principal, the model tiers, the workers and the domains.
# Reference: see "Config reference" in Prefrontal's README.

[principal]
name = "you"
interruptions_per_day = 5

[journal]
url = "sqlite:///prefrontal.db"   # a file beside this config; PostgreSQL works by URL

# [models]                          # tiers: only needed for LLM policies and LLM workers
# orchestrator = "anthropic:claude-sonnet-4-5"
# worker = "openai:gpt-5-mini"
# [models.local]                    # any OpenAI-compatible server (Ollama, llama.cpp, vLLM)
# base_url = "http://127.0.0.1:11434/v1"
# model = "llama3.2"

[workers.count_words]
kind = "tool"
function = "workers:count_words"

# [workers.compute]                 # precise work: a cheap model writes a program, and
# kind = "code"                     # bubblewrap runs it sandboxed (apt-get install bubblewrap)
# tier = "worker"
# limits = { cpu_s = 10, wall_s = 20, memory_mb = 1024 }
# (add "compute" to a domain's workers to let it commission this)

[domains.notes]
charter = "The principal's notes: counting, filing and answering about them."
never = ["never delete a note"]
policy = "policies:notes"
workers = ["count_words"]
keywords = ["note", "notes", "words"]
"""

STARTER_POLICIES = '''\
"""Rule policies: plain functions (state, event) -> Decision. No model needed."""

from prefrontal import CommissionAction, Decision, DomainView, InboundEvent, ReplyAction
from prefrontal import Report, RoutedEvent


def notes(state: DomainView, event: InboundEvent) -> Decision:
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="count_words", inputs={"text": event.text}))
    if isinstance(event, Report) and event.ok:
        return Decision.of(ReplyAction(text=f"That note has {event.output} words."))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=f"count_words failed: {event.error}"))
    return Decision.of()
'''

STARTER_WORKERS = '''\
"""Tool workers: typed functions; their schemas come from the type hints."""


def count_words(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())
'''


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        folder: Annotated[Path, typer.Argument(help="Where to write the files.")] = Path("."),
        force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
    ) -> None:
        """Write a working starter prefrontal.toml, policies.py and workers.py."""
        files = {
            "prefrontal.toml": STARTER_CONFIG,
            "policies.py": STARTER_POLICIES,
            "workers.py": STARTER_WORKERS,
        }
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
