"""The CLI starts quickly: ``--help`` and ``import prefrontal`` load none of the heavy parts,
and the reading commands load neither SQLAlchemy nor the runtime loop nor what senses need.

Timing is the benchmark's job (``benchmarks/startup.py``); this checks the cause, which is
deterministic: which modules a fresh interpreter has loaded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import pytest

HEAVY = ("sqlalchemy", "pydantic", "pydantic_ai", "numpy", "anyio", "prefrontal.runtime.system")
# A reading command needs pydantic (the config, the records; typer coerces options with it),
# and nothing of these:
NOT_FOR_READING = (
    "sqlalchemy",
    "numpy",
    "scipy",
    "pocketsphinx",
    "anyio",
    "pydantic_ai",
    "prefrontal.runtime.system",
    "prefrontal.runtime.orchestrator",
    "prefrontal.runtime.assembly",
    "prefrontal.senses.hearing.sense",
)
READING = (
    ("status",),
    ("inbox",),
    ("inbox", "--all"),
    ("costs",),
    ("journal", "--last", "5"),
    ("timers",),
)
PROGRAM = Path(sys.executable).parent / "prefrontal"


def loaded_after(code: str, heavy: tuple[str, ...] = HEAVY, cwd: Path | None = None) -> list[str]:
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in {list(heavy)!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=cwd,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def command(args: tuple[str, ...]) -> str:
    """Code that runs ``prefrontal ARGS`` as the console script does, and checks it succeeded."""
    return (
        "import sys\nfrom prefrontal.cli import main\n"
        f"sys.argv = ['prefrontal', *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n"
    )


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


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter system with a journal that holds a reply (written by a real 'ask')."""
    folder = tmp_path_factory.mktemp("starter")
    for args in (("init", str(folder)), ("ask", "count the words of this note")):
        subprocess.run([PROGRAM, *args], cwd=folder, capture_output=True, timeout=120, check=True)
    return folder


@pytest.mark.parametrize("args", READING, ids=" ".join)
def test_a_reading_command_loads_no_sqlalchemy_nor_the_loop(
    starter: Path, args: tuple[str, ...]
) -> None:
    assert loaded_after(command(args), NOT_FOR_READING, cwd=starter) == []


def test_status_of_a_system_with_senses_builds_none_of_them(tmp_path: Path) -> None:
    household = resources.files("prefrontal.examples.household")
    for name in ("prefrontal.toml", "policies.py", "workers.py", "scene.json", "scene.wav"):
        with resources.as_file(household / name) as source:
            shutil.copy(source, tmp_path / name)
    # The first read creates the journal (through SQLAlchemy); the next is the one measured.
    subprocess.run([PROGRAM, "journal"], cwd=tmp_path, capture_output=True, timeout=60, check=True)
    assert loaded_after(command(("status",)), NOT_FOR_READING, cwd=tmp_path) == []


def test_the_guard_sees_a_command_that_drives(starter: Path) -> None:
    # 'ask' drives the system here (no other process does): the loop and SQLAlchemy load.
    loaded = loaded_after(command(("ask", "count the words of this")), NOT_FOR_READING, starter)
    assert {"sqlalchemy", "anyio", "prefrontal.runtime.system"} <= set(loaded)


def test_an_ask_queued_for_a_running_driver_loads_no_loop(tmp_path: Path) -> None:
    subprocess.run([PROGRAM, "init", str(tmp_path)], capture_output=True, timeout=60, check=True)
    log = tmp_path / "driver.log"
    with log.open("wb") as out:
        driver = subprocess.Popen(
            [PROGRAM, "run", "--follow", "--poll", "0.05"], cwd=tmp_path, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 60
        while "Driving" not in log.read_text(encoding="utf-8", errors="replace"):
            assert driver.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        ask = command(("ask", "count the words of this note"))
        heavy = (*NOT_FOR_READING, "prefrontal.runtime.router")
        loaded = loaded_after(ask, heavy, tmp_path)
    finally:
        driver.terminate()
        driver.wait(timeout=30)
    # It appends through sqlite3 alone and waits (anyio): no SQLAlchemy, no loop, no senses.
    assert loaded == ["anyio", "prefrontal.runtime.router"]
