"""The typed record of how one sandboxed run ended; its caps are ``seam.limits.SandboxLimits``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from prefrontal.seam.limits import SandboxLimits

Outcome = Literal[
    "ok", "error", "cpu", "wall", "memory", "file_size", "scratch", "processes", "open_files"
]


class Run(BaseModel):
    """How one sandboxed run ended: its outcome, which cap stopped it, what it printed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: Outcome
    exit_code: int | None
    signal: int | None = None
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False
    duration_s: float
    limits: SandboxLimits

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def describe(self) -> str:
        """One line for an error message or a journal reader."""
        caps = {
            "cpu": f"the CPU-time cap ({self.limits.cpu_s} s)",
            "wall": f"the wall-time cap ({self.limits.wall_s:g} s)",
            "memory": f"the memory cap ({self.limits.memory_mb} MB)",
            "file_size": f"the file-size cap ({self.limits.file_size_mb} MB)",
            "scratch": f"the scratch-space cap ({self.limits.scratch_mb} MB)",
            "processes": f"the process cap ({self.limits.processes})",
            "open_files": f"the open-files cap ({self.limits.open_files})",
        }
        if self.outcome in caps:
            return f"stopped by {caps[self.outcome]} after {self.duration_s:.2f} s"
        if self.outcome == "error":
            how = f"signal {self.signal}" if self.signal else f"exit status {self.exit_code}"
            last = self.stderr.strip().splitlines()[-1:] or ["(no error output)"]
            return f"failed with {how} after {self.duration_s:.2f} s: {last[0][:300]}"
        return f"finished in {self.duration_s:.2f} s"
