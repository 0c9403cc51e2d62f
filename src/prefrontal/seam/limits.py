"""The caps on one sandboxed run of a program a model wrote.

Seam, not sandbox, because three parts meet on it: ``config`` validates
``[workers.NAME.limits]`` into it, the code worker passes it on, and the sandbox enforces it
and records it in each ``Run``. Imports pydantic only.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SandboxLimits(BaseModel):
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
