"""The flow the command benchmarks drive (``ask.py``, ``startup.py``): one rule-policy
domain, ``home``, that commissions the echo tool on a routed request and replies
``done: <output>`` on its report, on a SQLite file journal beside the config.

Loaded by path (``prefrontal.testing.load_script``): the benchmarks are scripts, not a
package.
"""

from __future__ import annotations

from pathlib import Path

CONFIG = """
[journal]
url = "sqlite:///journal.db"

[workers.echo]
kind = "tool"
function = "prefrontal.testing:echo"

[domains.home]
charter = "the house"
policy = "{module}:policy"
workers = ["echo"]
"""
RULES = """
from prefrontal import Decision, CommissionAction, ReplyAction, Report, RoutedEvent

def policy(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="echo", inputs={"text": event.text}))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=f"done: {event.output}"))
    return Decision.of()
"""


def write(folder: Path, module: str) -> Path:
    """The flow's config and its rules module ``module`` in ``folder``; the config's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(RULES, encoding="utf-8")
    config = folder / "prefrontal.toml"
    config.write_text(CONFIG.format(module=module), encoding="utf-8")
    return config
