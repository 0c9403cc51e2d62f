"""Bubblewrap: run a Python program in fresh namespaces, as a non-root uid, under caps.

What the program gets: a read-only ``/usr`` and the interpreter's own prefixes (so numpy and
scipy import), ``/etc/ld.so.cache`` and nothing else of ``/etc``; a private, writable
``/scratch`` (its working directory, a host folder the caller owns) and a small private
``/tmp``; its own ``/proc`` in its own pid namespace; a network namespace with nothing in it
but its own loopback; an empty environment but for a few fixed variables. What it never gets:
the host's files, processes, network, environment or capabilities.

Caps: ``prlimit`` sets CPU time, address space, file size, open files and process count
inside the sandbox; when Prefrontal runs as root, ``setpriv`` then drops to an unprivileged
uid (default 65534, ``nobody``) with no capabilities, because the kernel's process-count
limit does not bind root. The supervisor keeps the wall cap: bubblewrap leads its own
process group and runs with ``--die-with-parent``, so killing the group ends the pid
namespace and everything in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Generator, Mapping
from functools import cache
from pathlib import Path

import anyio
import anyio.to_thread
from anyio.abc import ByteReceiveStream, TaskGroup

from prefrontal.errors import SandboxUnavailableError
from prefrontal.sandbox import seccomp
from prefrontal.sandbox.limits import Outcome, Run
from prefrontal.seam.limits import SandboxLimits

INSTALL_HINT = (
    "Install bubblewrap (Debian/Ubuntu: 'apt-get install bubblewrap'; Fedora: 'dnf install "
    "bubblewrap'; Arch: 'pacman -S bubblewrap'). Prefrontal never runs a program unsandboxed."
)
ENVIRONMENT = {
    "HOME": "/scratch",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "TMPDIR": "/tmp",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}
_TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_MB = 1 << 20


class Bubblewrap:
    """Runs programs under bubblewrap; raises ``SandboxUnavailableError`` if it cannot.

    ``interpreter`` is the Python that runs the programs (default: the one running
    Prefrontal, so the same numpy and scipy); ``uid`` is the unprivileged user the program
    runs as when Prefrontal runs as root.
    """

    def __init__(
        self, *, interpreter: str | None = None, uid: int = 65534, executable: str = "bwrap"
    ) -> None:
        self.bwrap = _tool(executable, "bubblewrap")
        self.prlimit = _tool("prlimit", "util-linux")
        self.privileged = os.geteuid() == 0
        self.setpriv = _tool("setpriv", "util-linux") if self.privileged else None
        self.uid = uid
        self.interpreter = interpreter or sys.executable
        self.roots = _interpreter_roots(self.interpreter)
        # The host's layout does not change between runs: its mounts are worked out once.
        self._system = _system_mounts()
        self._interpreter = _interpreter_mounts(self.roots)

    def check(self) -> None:
        """Run an empty program once, so a kernel that forbids namespaces says so at start."""
        with scratch_dir() as scratch, _filter_file() as fd:
            (scratch / "main.py").write_text("pass", encoding="utf-8")
            try:
                result = subprocess.run(
                    self.command(SandboxLimits(), scratch, filter_fd=fd),
                    env={},
                    capture_output=True,
                    text=True,
                    timeout=30,
                    start_new_session=True,
                    pass_fds=() if fd is None else (fd,),
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                raise SandboxUnavailableError(
                    f"bubblewrap could not start a sandbox: {error}"
                ) from None
        if result.returncode != 0:
            raise SandboxUnavailableError(
                f"bubblewrap ({self.bwrap}) is installed but could not start a sandbox "
                f"(exit status {result.returncode}: {result.stderr.strip()[-300:]!r}). Where "
                "namespaces are refused, allow unprivileged user namespaces (sysctl "
                "kernel.unprivileged_userns_clone=1); where the interpreter is missing, set the "
                "code worker's 'interpreter' to a Python that exists outside /tmp's tmpfs."
            )

    def command(
        self, limits: SandboxLimits, scratch: Path, *, filter_fd: int | None = None
    ) -> list[str]:
        """The whole command line for one run of ``/scratch/main.py`` in ``scratch``."""
        argv = [self.bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
        if filter_fd is not None:
            argv += ["--seccomp", str(filter_fd)]
        argv += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
        argv += ["--hostname", "sandbox"]
        if not self.privileged:
            argv += ["--unshare-user"]
        argv += self._system
        argv += ["--proc", "/proc", "--dev", "/dev"]
        argv += ["--perms", "1777", "--size", str(limits.tmp_mb * _MB), "--tmpfs", "/tmp"]
        argv += self._interpreter  # after /tmp's tmpfs, which would hide one living under /tmp
        argv += ["--bind", str(scratch), "/scratch", "--chdir", "/scratch", "--remount-ro", "/"]
        for key, value in ENVIRONMENT.items():
            argv += ["--setenv", key, value]
        if self.privileged:
            argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            argv += ["--cap-add", "CAP_SETPCAP"]
        argv += [
            self.prlimit,
            f"--cpu={limits.cpu_s}:{limits.cpu_s + 1}",
            f"--as={limits.memory_mb * _MB}",
            f"--fsize={limits.file_size_mb * _MB}",
            f"--nofile={limits.open_files}",
            f"--nproc={limits.processes}",
            "--core=0",
            "--",
        ]
        if self.setpriv is not None:
            argv += [self.setpriv, f"--reuid={self.uid}", f"--regid={self.uid}"]
            argv += ["--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
        return [*argv, self.interpreter, "-I", "-B", "-u", "/scratch/main.py"]

    async def run(
        self,
        program: str,
        *,
        limits: SandboxLimits,
        scratch: Path,
        files: Mapping[str, bytes] | None = None,
    ) -> Run:
        """Run ``program`` with ``files`` beside it in ``scratch``; never raises for its faults."""
        (scratch / "main.py").write_text(program, encoding="utf-8")
        for name, data in (files or {}).items():
            (scratch / name).write_bytes(data)
        with _filter_file() as fd:
            argv = self.command(limits, scratch, filter_fd=fd)
            begun = time.perf_counter()
            process = await anyio.open_process(
                argv,
                stdin=subprocess.DEVNULL,
                env={},
                start_new_session=True,
                pass_fds=() if fd is None else (fd,),
            )
        keep = limits.output_kb * 1024
        out, err = _Capture(keep), _Capture(keep)
        stopped: Outcome | None = None
        try:
            async with anyio.create_task_group() as group:
                assert process.stdout is not None
                assert process.stderr is not None
                group.start_soon(out.drain, process.stdout)
                group.start_soon(err.drain, process.stderr)
                with anyio.move_on_after(limits.wall_s) as scope:
                    async with anyio.create_task_group() as watch:
                        watch.start_soon(_watch_scratch, scratch, limits, process.pid, watch)
                        await process.wait()
                        watch.cancel_scope.cancel()
                if scope.cancelled_caught:
                    stopped = "wall"
                    _kill_group(process.pid)
                    await process.wait()
                elif process.returncode is not None and _tree_bytes(scratch) > _cap(limits):
                    stopped = "scratch"
        finally:
            if process.returncode is None:  # cancelled from outside: the sandbox dies too
                _kill_group(process.pid)
            with anyio.CancelScope(shield=True):
                await process.aclose()
        duration = time.perf_counter() - begun
        code = process.returncode
        stdout, stderr = out.text(), err.text()
        outcome, sig = classify(code, stderr, stopped == "wall", duration >= limits.cpu_s)
        if stopped == "scratch":
            outcome, sig = "scratch", signal.SIGKILL
        return Run(
            outcome=outcome,
            exit_code=None if stopped else code,
            signal=sig,
            stdout=stdout,
            stderr=stderr,
            truncated=out.dropped or err.dropped,
            duration_s=duration,
            limits=limits,
        )


class scratch_dir:
    """A private working folder for one run: a root-only parent, a world-writable child.

    The child must be writable by the sandbox's unprivileged uid; the parent keeps every
    other user of the host out. Removed on exit.
    """

    def __init__(self, parent: Path | None = None) -> None:
        import tempfile

        self._parent = Path(tempfile.mkdtemp(prefix="prefrontal-run-", dir=parent))
        self.path = self._parent / "scratch"

    def __enter__(self) -> Path:
        self.path.mkdir()
        self.path.chmod(0o777)
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self._parent, ignore_errors=True)


@contextlib.contextmanager
def _filter_file() -> Generator[int | None]:
    """The seccomp filter in a memory file for bubblewrap to read; None where unsupported."""
    if not seccomp.supported():
        yield None
        return
    fd = os.memfd_create("prefrontal-seccomp", 0)
    try:
        os.write(fd, _filter())
        os.lseek(fd, 0, os.SEEK_SET)
        yield fd
    finally:
        os.close(fd)


@cache
def _filter() -> bytes:
    """The seccomp program, assembled on the first run rather than when the module loads."""
    return seccomp.program()


class _Capture:
    """Keeps the first ``keep`` bytes of a stream and drains the rest, so a pipe never blocks."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.data = bytearray()
        self.dropped = False

    async def drain(self, stream: ByteReceiveStream) -> None:
        async for chunk in stream:
            room = self.keep - len(self.data)
            if room > 0:
                self.data += chunk[:room]
            if len(chunk) > room:
                self.dropped = True

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


_LAST_LINE = {
    "memory": ("MemoryError", "Cannot allocate memory"),
    "file_size": ("File too large", "[Errno 27]"),
    "open_files": ("Too many open files", "[Errno 24]"),
    "processes": ("Resource temporarily unavailable", "can't start new thread", "[Errno 11]"),
}


def classify(
    code: int | None, stderr: str, timed_out: bool, long_enough: bool
) -> tuple[Outcome, int | None]:
    """Which cap, if any, ended the run: from the signal, else the program's last error.

    SIGXCPU is the CPU cap's soft signal; SIGKILL is its hard one only when the run lasted at
    least the CPU cap (a program that kills itself at once did not hit it).
    """
    if timed_out:
        return "wall", signal.SIGKILL
    sig = None
    if code is not None and code < 0:
        sig = -code
    elif code is not None and code > 128:
        sig = code - 128  # bubblewrap reports a child killed by a signal as 128 + signal
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and long_enough):
        return "cpu", sig
    if sig == signal.SIGXFSZ:
        return "file_size", sig
    if code == 0:
        return "ok", None
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    for outcome, marks in _LAST_LINE.items():
        if any(mark in last for mark in marks):
            return outcome, sig  # type: ignore[return-value]
    return "error", sig


async def _watch_scratch(scratch: Path, limits: SandboxLimits, pid: int, watch: TaskGroup) -> None:
    """Kill the sandbox when its scratch folder outgrows its cap (checked every 50 ms).

    Each file is capped by the kernel (``file_size_mb``); their sum, on the host's disk, is
    capped here. Blocks on disk are counted, so sparse files count as what they use.
    """
    while True:
        await anyio.sleep(0.05)
        if await anyio.to_thread.run_sync(_tree_bytes, scratch) > _cap(limits):
            _kill_group(pid)
            return


def _cap(limits: SandboxLimits) -> int:
    return limits.scratch_mb * _MB


def _tree_bytes(folder: Path) -> int:
    total = 0
    for root, dirs, names in os.walk(folder):
        for name in [*names, *dirs]:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SandboxUnavailableError(
            f"no operating-system sandbox: {name!r} (from the {package!r} package) is not on "
            f"PATH. {INSTALL_HINT}"
        )
    return found


def _system_mounts() -> list[str]:
    """Read-only ``/usr``, the top-level links or folders into it, and the loader's cache."""
    argv = ["--ro-bind", "/usr", "/usr"]
    for name in _TOP_LEVEL:
        host = Path("/", name)
        if host.is_symlink():
            argv += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            argv += ["--ro-bind", str(host), str(host)]
    return [*argv, "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]


def _interpreter_mounts(roots: tuple[str, ...]) -> list[str]:
    """Each root read-only at its own path, with the folders on the way made traversable."""
    argv: list[str] = []
    made: set[str] = {"/", "/usr", "/tmp"}
    for root in roots:
        for parent in reversed(Path(root).parents):
            if str(parent) not in made:
                made.add(str(parent))
                argv += ["--perms", "0755", "--dir", str(parent)]
        argv += ["--ro-bind", root, root]
    return argv


@cache
def _interpreter_roots(interpreter: str) -> tuple[str, ...]:
    """The folders the interpreter needs besides ``/usr``: its prefixes (a venv, pyenv...)."""
    script = "import sys, json; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix]))"
    try:
        found = subprocess.run(
            [interpreter, "-I", "-c", script], env={}, capture_output=True, text=True, timeout=60
        )
        prefixes = json.loads(found.stdout)
    except (OSError, subprocess.SubprocessError, json.JSONDecodeError) as error:
        raise SandboxUnavailableError(
            f"the code worker's interpreter {interpreter!r} could not be run ({error}); set "
            "'interpreter' of the code worker to a Python 3 with numpy and scipy installed."
        ) from None
    real = Path(interpreter).resolve()
    candidates = [*prefixes, str(real.parent.parent)]
    roots: list[str] = []
    for root in sorted({os.path.realpath(p) for p in candidates} | set(candidates)):
        if root == "/usr" or root.startswith("/usr/") or not Path(root).is_dir():
            continue
        if not any(root.startswith(kept.rstrip("/") + "/") for kept in roots):
            roots.append(root)
    return tuple(roots)
