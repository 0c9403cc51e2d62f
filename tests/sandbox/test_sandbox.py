"""The sandbox itself: what a program gets inside, how a run ends, and how it is stopped."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sysconfig
import tempfile
import time
from pathlib import Path

import anyio
import pytest

import prefrontal
from prefrontal.errors import SandboxUnavailableError
from prefrontal.sandbox import Bubblewrap, SandboxLimits, seccomp
from prefrontal.sandbox.bubblewrap import classify, scratch_dir

pytestmark = pytest.mark.anyio


async def test_numpy_and_scipy_work_inside_as_an_unprivileged_user(sandbox: Bubblewrap) -> None:
    program = (
        "import os, json, numpy, scipy.linalg, scipy.signal\n"
        "a = numpy.array([[4.0, 1.0], [2.0, 3.0]])\n"
        "print(json.dumps({'uid': os.getuid(), 'x': scipy.linalg.solve(a, [1.0, 2.0]).tolist(),"
        " 'cwd': os.getcwd(), 'inputs': open('inputs.json').read()}))"
    )
    with scratch_dir() as scratch:
        run = await sandbox.run(
            program, limits=SandboxLimits(), scratch=scratch, files={"inputs.json": b"[1]"}
        )
    assert run.ok, run.stderr
    assert run.exit_code == 0
    out = json.loads(run.stdout)
    assert out["x"] == pytest.approx([0.1, 0.6])
    assert out["cwd"] == "/scratch"
    assert out["inputs"] == "[1]"
    if sandbox.privileged:
        assert out["uid"] == sandbox.uid != 0


async def test_output_past_the_cap_is_cut_and_said_so(sandbox: Bubblewrap) -> None:
    with scratch_dir() as scratch:
        run = await sandbox.run(
            "print('x' * 100_000)", limits=SandboxLimits(output_kb=1), scratch=scratch
        )
    assert run.ok
    assert run.truncated
    assert len(run.stdout) == 1024


async def test_a_run_cancelled_from_outside_leaves_nothing_running(sandbox: Bubblewrap) -> None:
    begun = time.perf_counter()
    with scratch_dir() as scratch, anyio.move_on_after(0.5):
        await sandbox.run(
            "import time\ntime.sleep(60)", limits=SandboxLimits(wall_s=60), scratch=scratch
        )
    assert time.perf_counter() - begun < 3
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and _still_sleeping():
        await anyio.sleep(0.05)
    assert not _still_sleeping()


def _still_sleeping() -> bool:
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"/scratch/main.py" in entry.read_bytes():
                return True
        except OSError:
            continue
    return False


def test_how_a_run_ended_is_read_from_its_status() -> None:
    assert classify(0, "", False, False) == ("ok", None)
    assert classify(None, "", True, False) == ("wall", signal.SIGKILL)
    assert classify(128 + signal.SIGXCPU, "", False, True) == ("cpu", signal.SIGXCPU)
    assert classify(128 + signal.SIGKILL, "", False, True) == ("cpu", signal.SIGKILL)
    assert classify(128 + signal.SIGKILL, "", False, False) == ("error", signal.SIGKILL)
    assert classify(1, "Traceback\nMemoryError", False, False) == ("memory", None)
    assert classify(1, "OSError: [Errno 27] File too large", False, False)[0] == "file_size"
    assert classify(1, "OSError: [Errno 24] Too many open files", False, False)[0] == "open_files"
    assert classify(1, "MemoryError\nValueError: bad", False, False)[0] == "error"


def test_the_seccomp_filter_is_well_formed() -> None:
    for machine in ("x86_64", "aarch64"):
        code = seccomp.program(machine)
        assert len(code) % 8 == 0
        ops = [struct.unpack("=HBBI", code[i : i + 8]) for i in range(0, len(code), 8)]
        assert ops[-1][0] == 0x06  # every path ends in a return
        assert len(ops) < 64


def test_a_missing_tool_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxUnavailableError, match=r"'bwrap'.*apt-get install bubblewrap"):
        Bubblewrap()


def test_an_unprivileged_supervisor_sandboxes_too() -> None:
    """Prefrontal run by an ordinary user: bubblewrap makes a user namespace, caps still bind."""
    system_python = Path("/usr/bin/python3.11")
    if os.geteuid() != 0 or not system_python.exists():
        pytest.skip("needs root (to become an ordinary user) and /usr/bin/python3.11")
    site = sysconfig.get_paths()["purelib"]
    source = Path(prefrontal.__file__).resolve().parents[1]
    scenario = Path(__file__).parents[1] / "support" / "unprivileged_scenario.py"
    with tempfile.TemporaryDirectory() as folder:  # pytest's own tmp is root's alone
        Path(folder).chmod(0o755)
        script = Path(folder) / "scenario.py"
        script.write_text(scenario.read_text())
        script.chmod(0o644)
        run = _as_ordinary_user(system_python, script, f"{source}:{site}")
    if "Permission denied" in run.stderr and "site-packages" in run.stderr:
        pytest.skip(f"the ordinary user cannot read {site}")
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["privileged"] is False
    assert out["outcome"] == "ok"
    assert out["uid"] == 65533
    assert out["socket"] == "PermissionError"
    assert out["passwd"] in ("PermissionError", "FileNotFoundError")
    assert out["forked"] < 32


def _as_ordinary_user(python: Path, script: Path, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "setpriv",
            "--reuid=65533",
            "--regid=65533",
            "--clear-groups",
            str(python),
            str(script),
        ],
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_another_interpreter_can_be_named() -> None:
    """The system's own Python (no numpy) runs programs too: ``interpreter`` is honoured."""
    system_python = Path("/usr/bin/python3.11")
    if not system_python.exists():
        pytest.skip("needs /usr/bin/python3.11")
    sandbox = Bubblewrap(interpreter=str(system_python))
    with scratch_dir() as scratch:
        run = await sandbox.run(
            "import sys\nprint(sys.executable, sys.prefix)", limits=SandboxLimits(), scratch=scratch
        )
    assert run.ok, run.stderr
    assert run.stdout.split() == [str(system_python), "/usr"]
