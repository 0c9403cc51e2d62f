"""Hostile programs, written by a (scripted) model and run through the code worker.

Each attempt is checked from outside the sandbox: the host's files, processes, servers and
environment are looked at by the test itself, not taken from what the program says.
"""

from __future__ import annotations

import ast
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prefrontal.errors import PrefrontalError
from prefrontal.sandbox import Bubblewrap, SandboxLimits
from prefrontal.sandbox.bubblewrap import scratch_dir
from prefrontal.testing import ScriptedModel
from prefrontal.workers import CommissionContext
from prefrontal.workers.code import INSTRUCTIONS, CodeWorker, Program
from prefrontal.workers.llm import LlmWorker

pytestmark = pytest.mark.anyio

PROJECT = Path(__file__).resolve().parents[2]
SECRET = f"pf-secret-{uuid.uuid4().hex}"


def sandboxed_processes(uid: int) -> list[int]:
    """Processes on the host that run as the sandbox's uid, read from /proc."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        uids = next(line for line in status.splitlines() if line.startswith("Uid:"))
        if int(uids.split()[1]) == uid:
            found.append(int(entry.name))
    return found


@pytest.fixture(autouse=True)
def nothing_left_running(sandbox: Bubblewrap) -> Iterator[None]:
    yield
    if not sandbox.privileged:  # the program runs as our own uid: nothing to tell apart
        return
    deadline = time.monotonic() + 3
    while sandboxed_processes(sandbox.uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandboxed_processes(sandbox.uid) == []


async def attempt(sandbox: Bubblewrap, program: str, **limits: Any) -> tuple[Any, str]:
    """Run ``program`` through the code worker: (the JSON it printed, or None; the error)."""
    model = ScriptedModel([{"code": program}])
    writer = LlmWorker(
        "compute", model, tier="cheap", instructions=INSTRUCTIONS, output_type=Program
    )
    worker = CodeWorker("compute", writer, sandbox, limits=SandboxLimits(**limits), repairs=0)
    context = CommissionContext(idempotency_key="hostile", worker="compute", attempt=1)
    try:
        result = await worker.run({"task": "hostile"}, context)
    except PrefrontalError as error:
        return None, f"{type(error).__name__}: {error}\n" + "\n".join(context.kept)
    return result.output["value"], ""


def tries(body: str) -> str:
    """A program that runs each ``name: expression`` line and reports its result or error."""
    lines = ["import json, os, sys, socket, ctypes", "out = {}"]
    for line in body.strip().splitlines():
        name, expression = line.split(":", 1)
        lines += [
            "try:",
            f"    out[{name.strip()!r}] = repr({expression.strip()})[:300]",
            "except BaseException as error:",
            f"    out[{name.strip()!r}] = 'refused: ' + type(error).__name__",
        ]
    lines.append("print(json.dumps(out))")
    return "\n".join(lines)


async def test_host_files_and_the_project_cannot_be_read(sandbox: Bubblewrap) -> None:
    body = f"""
    passwd: open('/etc/passwd').read()
    shadow: open('/etc/shadow').read()
    hostname: open('/etc/hostname').read()
    pyproject: open({str(PROJECT / "pyproject.toml")!r}).read()
    readme: open({str(PROJECT / "README.md")!r}).read()
    source: open({str(PROJECT / "src/prefrontal/__init__.py")!r}).read()
    listing: os.listdir({str(PROJECT)!r})
    root: os.listdir('/root')
    home: os.listdir('/home')
    """
    out, error = await attempt(sandbox, tries(body))
    assert error == ""
    # folders on the way to the interpreter (a venv, pyenv) show that way and nothing else
    on_the_way = {p.name for root in sandbox.roots for p in [Path(root), *Path(root).parents]}
    for folder in ("listing", "root"):
        shown = out.pop(folder)
        assert shown.startswith("refused") or set(ast.literal_eval(shown)) <= on_the_way, (
            folder,
            shown,
        )
    assert all(value.startswith("refused") for value in out.values()), out
    host_passwd = Path("/etc/passwd").read_text().splitlines()[0]
    assert host_passwd not in json.dumps(out)


async def test_writes_land_nowhere_but_scratch(sandbox: Bubblewrap, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    targets = [
        PROJECT / f"pwned-{tag}",
        PROJECT / ".venv" / f"pwned-{tag}",
        Path("/tmp") / f"pwned-{tag}",
        Path("/dev/shm") / f"pwned-{tag}",
        tmp_path / f"pwned-{tag}",
        Path("/") / f"pwned-{tag}",
        Path("/usr") / f"pwned-{tag}",
    ]
    body = "\n".join(f"t{i}: open({str(t)!r}, 'w').write('x')" for i, t in enumerate(targets))
    out, error = await attempt(sandbox, tries(body + "\nscratch: open('mine', 'w').write('x')"))
    assert error == ""
    assert out["scratch"] == "1"
    for target in targets:
        assert not target.exists(), f"{target} was written on the host"
    # the private /tmp accepted its write; the host's /tmp did not see it
    assert out["t2"] == "1"


class _Listener:
    """TCP and UDP servers on 127.0.0.1 and a Unix socket that count what reaches them."""

    def __init__(self, folder: Path) -> None:
        self.hits = 0
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.unix_path = folder / "host.sock"
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(str(self.unix_path))
        self.unix.listen()
        for sock in (self.tcp, self.udp, self.unix):
            sock.settimeout(0.1)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            for sock, accept in ((self.tcp, True), (self.unix, True), (self.udp, False)):
                try:
                    if accept:
                        conn, _ = sock.accept()
                        conn.close()
                    else:
                        sock.recv(100)
                    self.hits += 1
                except (TimeoutError, OSError):
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for sock in (self.tcp, self.udp, self.unix):
            sock.close()


async def test_no_socket_reaches_the_host(sandbox: Bubblewrap, tmp_path: Path) -> None:
    listener = _Listener(tmp_path)
    tcp_port = listener.tcp.getsockname()[1]
    udp_port = listener.udp.getsockname()[1]
    body = f"""
    tcp: socket.create_connection(('127.0.0.1', {tcp_port}), timeout=2)
    tcp6: socket.create_connection(('::1', {tcp_port}), timeout=2)
    udp: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', {udp_port}))
    raw: socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    netlink: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)
    unix: socket.socket(socket.AF_UNIX).connect({str(listener.unix_path)!r})
    resolve: socket.getaddrinfo('localhost', 80)
    """
    try:
        out, error = await attempt(sandbox, tries(body))
        time.sleep(0.3)
    finally:
        listener.close()
    assert error == ""
    assert listener.hits == 0
    assert all(value.startswith("refused") for value in out.values()), out


@pytest.fixture
def host_process() -> Iterator[subprocess.Popen[bytes]]:
    """A process on the host with a secret in its argv and environment."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", SECRET],
        env={"PF_HOST_SECRET": SECRET},
    )
    yield process
    process.kill()
    process.wait()


async def test_host_processes_can_be_neither_seen_nor_signalled(
    sandbox: Bubblewrap, host_process: subprocess.Popen[bytes]
) -> None:
    program = f"""
import json, os, signal
mine = os.getpid()
pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
sent = {{}}
for pid in [{host_process.pid}, {os.getpid()}, 1, *pids]:
    if pid == mine:
        continue
    try:
        os.kill(pid, signal.SIGKILL)
        sent[pid] = 'sent'
    except OSError as error:
        sent[pid] = type(error).__name__
print(json.dumps({{'pids': pids, 'sent': sent}}))
"""
    out, error = await attempt(sandbox, program)
    assert error == ""
    assert host_process.poll() is None  # still alive, checked from here
    assert len(out["pids"]) <= 3  # bubblewrap's init and the program: no host process
    assert "sent" not in out["sent"].values()


async def test_no_secret_leaks_from_environment_argv_or_proc(
    sandbox: Bubblewrap, host_process: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PF_SUPERVISOR_SECRET", SECRET)
    program = """
import json, os, sys, glob
seen = {'environ': dict(os.environ), 'argv': sys.argv, 'proc': {}}
for path in glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline'):
    try:
        seen['proc'][path] = open(path, 'rb').read().decode(errors='replace')
    except OSError as error:
        seen['proc'][path] = type(error).__name__
print(json.dumps(seen))
"""
    out, error = await attempt(sandbox, program)
    assert error == ""
    assert SECRET not in json.dumps(out)
    assert "PF_" not in json.dumps(out["environ"])
    assert set(out["environ"]) <= {"HOME", "PATH", "LANG", "TMPDIR", "OPENBLAS_NUM_THREADS"} | {
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "MPLBACKEND",
        "LC_CTYPE",
        "PWD",
    }
    assert out["proc"].get("/proc/1/environ") in ("", "PermissionError")


async def test_a_fork_bomb_stops_at_the_process_cap(sandbox: Bubblewrap) -> None:
    peak = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, len(sandboxed_processes(sandbox.uid)))
            time.sleep(0.005)

    program = """
import json, os, time
forked, error = 0, None
try:
    while forked < 10000:
        if os.fork() == 0:
            time.sleep(2)
            os._exit(0)
        forked += 1
except OSError as caught:
    error = type(caught).__name__
time.sleep(0.5)
print(json.dumps({'forked': forked, 'error': error}))
"""
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        out, error = await attempt(sandbox, program, processes=64)
    finally:
        stop.set()
        watcher.join()
    assert error == ""
    assert out["error"] == "BlockingIOError"
    assert out["forked"] <= 63
    if sandbox.privileged:
        assert 0 < peak <= 64  # counted on the host, by uid


async def test_allocating_10_gb_stops_at_the_memory_cap(sandbox: Bubblewrap) -> None:
    out, error = await attempt(sandbox, "buffer = bytearray(10 * 2**30)", memory_mb=1024)
    assert out is None
    assert "SandboxLimitError" in error
    assert "the memory cap (1024 MB)" in error
    out, error = await attempt(sandbox, "import numpy\nx = numpy.ones(10 * 2**27)")
    assert "the memory cap" in error


async def test_an_infinite_loop_is_killed_by_the_cpu_cap(sandbox: Bubblewrap) -> None:
    begun = time.perf_counter()
    out, error = await attempt(sandbox, "while True:\n    pass", cpu_s=1, wall_s=30)
    assert out is None
    assert "the CPU-time cap (1 s)" in error
    assert time.perf_counter() - begun < 10


async def test_a_sleeping_loop_is_killed_by_the_wall_cap(sandbox: Bubblewrap) -> None:
    begun = time.perf_counter()
    program = "import time, os\nos.fork()\nwhile True:\n    time.sleep(0.1)"
    out, error = await attempt(sandbox, program, wall_s=1.0)
    assert out is None
    assert "the wall-time cap (1 s)" in error
    assert time.perf_counter() - begun < 5
    # nothing_left_running checks, from the host, that both processes are gone


async def test_a_huge_file_stops_at_the_file_size_cap(sandbox: Bubblewrap) -> None:
    program = (
        "block = b'x' * 2**20\nwith open('big', 'wb') as f:\n    while 1:\n        f.write(block)"
    )
    out, error = await attempt(sandbox, program, file_size_mb=2)
    assert out is None
    assert "the file-size cap (2 MB)" in error
    # checked on the host: the file in scratch is no larger than the cap
    with scratch_dir() as scratch:
        run = await sandbox.run(program, limits=SandboxLimits(file_size_mb=2), scratch=scratch)
        assert run.outcome == "file_size"
        assert (scratch / "big").stat().st_size <= 2 * 2**20
    tmp = program.replace("'big'", "'/tmp/big'")
    out, error = await attempt(sandbox, tmp, file_size_mb=2)
    assert "the file-size cap (2 MB)" in error


async def test_filling_the_disk_stops_at_the_scratch_cap(sandbox: Bubblewrap) -> None:
    program = (
        "import os\nblock = os.urandom(2**20)\nn = 0\nwhile True:\n"
        "    with open(f'part-{n}', 'wb') as f:\n        f.write(block)\n    n += 1"
    )
    out, error = await attempt(sandbox, program, scratch_mb=16, file_size_mb=2)
    assert out is None
    assert "the scratch-space cap (16 MB)" in error
    # checked on the host: the folder holds about the cap, not what the loop would have made
    with scratch_dir() as scratch:
        run = await sandbox.run(program, limits=SandboxLimits(scratch_mb=16), scratch=scratch)
        used = sum(p.stat().st_size for p in scratch.iterdir())
    assert run.outcome == "scratch"
    assert run.duration_s < 5
    assert used < 16 * 2**20 + 200 * 2**20  # the cap plus at most 50 ms of writing


async def test_ctypes_cannot_escape(sandbox: Bubblewrap) -> None:
    tag = uuid.uuid4().hex
    target = PROJECT / f"pwned-ctypes-{tag}"
    body = f"""
    libc: ctypes.CDLL(None, use_errno=True)
    create: ctypes.CDLL(None).open({str(target).encode()!r}, os.O_CREAT | os.O_WRONLY, 0o644)
    passwd: ctypes.CDLL(None).open(b'/etc/passwd', os.O_RDONLY)
    system: ctypes.CDLL(None).system({f"touch {target}-sh".encode()!r})
    setuid: ctypes.CDLL(None).setuid(0)
    newuser: ctypes.CDLL(None).unshare(0x10000000)
    mount: ctypes.CDLL(None).mount(b'none', b'/usr', b'tmpfs', 0, None)
    ptrace: ctypes.CDLL(None).ptrace(16, 1, 0, 0)
    socket: ctypes.CDLL(None).socket(2, 1, 0)
    """
    out, error = await attempt(sandbox, tries(body))
    assert error == ""
    assert not target.exists()
    assert not Path(f"{target}-sh").exists()
    for call in ("create", "passwd", "setuid", "newuser", "mount", "ptrace", "socket"):
        assert out[call] == "-1", (call, out[call])
    assert out["system"] != "0"


async def test_numpy_file_io_cannot_escape(sandbox: Bubblewrap) -> None:
    tag = uuid.uuid4().hex
    saved = PROJECT / f"pwned-{tag}.npy"
    body = f"""
    fromfile: __import__('numpy').fromfile('/etc/passwd', dtype='uint8')
    loadtxt: __import__('numpy').loadtxt({str(PROJECT / "pyproject.toml")!r}, dtype=str)
    memmap: __import__('numpy').memmap({str(PROJECT / "README.md")!r}, mode='r')
    save: __import__('numpy').save({str(saved)!r}, __import__('numpy').arange(3))
    tofile: __import__('numpy').arange(3).tofile({str(saved)!r} + '.raw')
    environ: __import__('numpy').fromfile('/proc/1/environ', dtype='uint8')
    """
    out, error = await attempt(sandbox, tries(body))
    assert error == ""
    assert all(value.startswith("refused") for value in out.values()), out
    assert not saved.exists()
    assert not Path(f"{saved}.raw").exists()
