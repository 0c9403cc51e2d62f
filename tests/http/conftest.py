"""A real ``prefrontal serve`` on 127.0.0.1, in its own process, on the household example."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def household_config(folder: Path, extra: str = "") -> Path:
    source = resources.files("prefrontal.examples.household") / "prefrontal.toml"
    text = source.read_text(encoding="utf-8").replace('senses = ["ears", "boiler"]\n', "")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "prefrontal.toml"
    if extra:
        text = text.replace("[principal]\n", f"[principal]\n{extra}\n", 1)
    target.write_text(text, encoding="utf-8")
    return target


def prefrontal(*args: str) -> list[str]:
    exe = Path(sys.executable).with_name("prefrontal")
    return [str(exe), *args]


@dataclass
class Served:
    """A running ``prefrontal serve``: its address, token and an authorised HTTP client."""

    config: Path
    port: int
    process: subprocess.Popen[str] | None = None
    token: str = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "PREFRONTAL_CONFIG"}
        self.process = subprocess.Popen(
            prefrontal("serve", "-c", str(self.config), "--port", str(self.port), "-q"),
            cwd=self.config.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        token_file = self.config.parent / ".prefrontal-token"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read() if self.process.stdout else ""
                raise AssertionError(f"serve exited {self.process.returncode}: {output}")
            if token_file.exists():
                self.token = token_file.read_text(encoding="utf-8").strip()
                try:
                    if self.http().get("/api/domains").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
            time.sleep(0.2)
        raise AssertionError("serve did not answer within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def http(self, *, token: str | None = None) -> httpx.Client:
        given = self.token if token is None else token
        headers = {"Authorization": f"Bearer {given}"} if given else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=20)

    def until(self, probe: Callable[[], Any], what: str, timeout_s: float = 60) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = probe()
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    running = Served(household_config(tmp_path / "household"), free_port())
    running.start()
    try:
        yield running
    finally:
        running.stop()
