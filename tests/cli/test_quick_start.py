"""The CLI starts quickly: ``--help`` and ``import prefrontal`` load none of the heavy parts.

Timing is the benchmark's job (``benchmarks/startup.py``); this checks the cause, which is
deterministic: which modules a fresh interpreter has loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "pydantic", "pydantic_ai", "numpy", "anyio", "prefrontal.runtime.system")


def loaded_after(code: str) -> list[str]:
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "code",
    [
        "import prefrontal",
        "import prefrontal.cli",
        "import prefrontal.seam, prefrontal.journal, prefrontal.runtime",
        "from prefrontal.cli import app\n"
        "from typer.testing import CliRunner\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0",
    ],
)
def test_nothing_heavy_loads_before_a_command_needs_it(code: str) -> None:
    assert loaded_after(code) == []


def test_the_facade_still_gives_every_name_on_first_use() -> None:
    # The guard for the guard: asking for a name loads its module, and only then.
    assert "prefrontal.runtime.system" in loaded_after("from prefrontal import open_system")
    assert "sqlalchemy" in loaded_after("import prefrontal; prefrontal.SqlJournal")
