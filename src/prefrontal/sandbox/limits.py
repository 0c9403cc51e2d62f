"""The caps on one sandboxed run, and the typed record of how the run ended."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Outcome = Literal[
    "ok", "error", "cpu", "wall", "memory", "file_size", "scratch", "processes", "open_files"
]


class Limits(BaseModel):
    """Caps on one run of a program; ``[workers.NAME.limits]`` in ``prefrontal.toml``.

    CPU time, memory (address space), file size, open files and process count are kernel
    resource limits inside the sandbox; the wall cap and the scratch folder's total size are
    kept by the supervisor, which kills the sandbox's whole process tree when one passes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    cpu_s: int = Field(default=10, ge=1, le=3600, description="CPU seconds, per process")
    wall_s: float = Field(default=20.0, gt=0, le=3600, description="wall-clock seconds")
    memory_mb: int = Field(default=1024, ge=64, le=1 << 20, description="address space")
    file_size_mb: int = Field(default=16, ge=1, le=1 << 20, description="largest file written")
    open_files: int = Field(default=64, ge=16, le=1 << 16)
    processes: int = Field(default=64, ge=1, le=4096, description="processes and threads")
    output_kb: int = Field(default=64, ge=1, le=1024, description="stdout and stderr kept")
    tmp_mb: int = Field(default=64, ge=1, le=1 << 16, description="size of the private /tmp")
    scratch_mb: int = Field(default=256, ge=1, le=1 << 20, description="all files in scratch")


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
    limits: Limits

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
