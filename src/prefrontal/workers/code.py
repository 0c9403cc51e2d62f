"""CodeWorker: a cheap-tier model writes a short program; the sandbox runs it; its result goes up.

The model sees the task and an outline of the data (keys, types, lengths), never the data
itself; the data reaches the program as ``/scratch/inputs.json``. What goes up is what the
program printed (one JSON value, or text) or the files it wrote to ``/scratch/out``, never
the model's guess. The program and its run (outcome, limits, output) are kept as evidence
with the report, which the journal keeps. A program that fails is shown its error and
rewritten at most ``repairs`` times; one stopped by a cap is not rewritten: the cap is the
answer.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prefrontal.errors import RecordError, SandboxLimitError, WorkerError
from prefrontal.sandbox import Bubblewrap, Run, SandboxLimits
from prefrontal.sandbox.bubblewrap import scratch_dir
from prefrontal.seam.roster import WorkerSpec
from prefrontal.seam.work import CommissionContext, WorkerResult
from prefrontal.workers.llm import LlmWorker

INSTRUCTIONS = """\
You write one short, complete Python 3 program for a precise task. It runs in a sandbox:
numpy and scipy are installed; there is no network; the working folder is /scratch.
The task's data is in /scratch/inputs.json (its outline is given); read it with json.load.
Raw signal behind a percept, if any, is in the .npy files the outline names (numpy.load).
Compute the answer with code; never guess it or write it in by hand.
Output, by the requested result kind:
- "json": print exactly one JSON document on stdout (the answer) and nothing else;
- "text": print the answer as text;
- "files": write the result files into /scratch/out/ and print one line saying what they are.
Answer with the program's source only."""

_MAX_PROGRAM = 16_000
_MAX_FILES = 32
_TAIL = 4_000


class Program(BaseModel):
    """The program the model writes."""

    code: str = Field(description="the whole Python 3 program")


class CodeTask(BaseModel):
    """A code worker's commission inputs."""

    model_config = ConfigDict(extra="forbid")

    task: str = Field(min_length=1, max_length=4000, description="what to compute")
    inputs: Any = Field(default=None, description="JSON data the program reads")
    evidence: list[str] = Field(
        default_factory=list, max_length=8, description="percept evidence references to read"
    )
    result: Literal["json", "text", "files"] = "json"


class CodeWorker:
    def __init__(
        self,
        name: str,
        writer: LlmWorker,
        sandbox: Bubblewrap,
        *,
        limits: SandboxLimits,
        repairs: int = 1,
        files_dir: Path | None = None,
        description: str = "",
    ) -> None:
        self.name = name
        self.writer = writer
        self.sandbox = sandbox
        self.limits = limits
        self.repairs = repairs
        self.files_dir = files_dir
        self._spec = WorkerSpec(
            name=name,
            kind="code",
            description=description
            or "writes and runs a sandboxed Python program (numpy, scipy) for precise work",
            input_schema=CodeTask.model_json_schema(),
            output_schema={"type": "object"},
        )

    @property
    def spec(self) -> WorkerSpec:
        return self._spec

    async def run(self, inputs: dict[str, Any], context: CommissionContext) -> WorkerResult:
        try:
            task = CodeTask.model_validate(inputs)
        except ValidationError as error:
            first = error.errors()[0]
            raise RecordError(
                f"inputs of code worker {self.name!r}: {'.'.join(map(str, first['loc']))}: "
                f"{first['msg']}. Expected {{task, inputs, result}} with result one of "
                "'json', 'text', 'files'."
            ) from None
        files = {"inputs.json": json.dumps(task.inputs, ensure_ascii=False).encode()}
        request: dict[str, Any] = {
            "task": task.task,
            "result": task.result,
            "inputs_outline": outline(task.inputs),
        }
        if task.evidence:
            request["evidence_files"] = self._evidence(task.evidence, context, files)
        failure = ""
        for attempt in range(1, self.repairs + 2):
            written = await self.writer.run(request, context)
            code = Program.model_validate(written.output).code
            outcome = await self._try(code, attempt, task, files, context)
            if isinstance(outcome, WorkerResult):
                return outcome
            failure = outcome
            request = {**request, "previous_program": code, "failure": failure[-_TAIL:]}
        raise WorkerError(
            f"code worker {self.name!r}: no program succeeded in {self.repairs + 1} "
            f"writing(s); last failure: {failure[:600]}"
        )

    async def _try(
        self,
        code: str,
        attempt: int,
        task: CodeTask,
        files: dict[str, bytes],
        context: CommissionContext,
    ) -> WorkerResult | str:
        """Run one written program: its result, or why it failed (for the model to repair).

        A cap is final: it raises ``SandboxLimitError`` instead of asking for a rewrite.
        """
        source = code.encode()
        digest = hashlib.sha256(source).hexdigest()
        context.keep(f"program {digest[:12]} (writing {attempt}):\n{code[:_MAX_PROGRAM]}")
        if len(source) > _MAX_PROGRAM:
            return f"the program is {len(source):,} bytes; at most {_MAX_PROGRAM:,}"
        with scratch_dir() as scratch:
            run = await self.sandbox.run(code, limits=self.limits, scratch=scratch, files=files)
            context.keep(_run_evidence(digest, run))
            if run.outcome not in ("ok", "error"):
                raise SandboxLimitError(
                    f"code worker {self.name!r}: program {digest[:12]} was "
                    f"{run.describe()}; limits {_limits_line(run.limits)}. Raise "
                    f"[workers.{self.name}.limits] if the task needs more."
                )
            if not run.ok:
                return f"the program {run.describe()}\n{run.stderr[-_TAIL:]}"
            try:
                value = self._result(task, run, scratch, context.idempotency_key)
            except WorkerError as error:
                return str(error)
        return WorkerResult(
            output={**value, "run": _run_record(digest, run)},
            evidence=(f"run {digest[:12]}: {run.describe()}",),
        )

    def _evidence(
        self, refs: list[str], context: CommissionContext, files: dict[str, bytes]
    ) -> dict[str, str]:
        """Put each referenced window into the scratch files; say what each file holds."""
        if context.evidence is None:
            raise WorkerError(
                f"code worker {self.name!r} was given evidence {refs} but runs without an "
                "evidence store; run it inside a system with senses"
            )
        shown: dict[str, str] = {}
        for ref in refs:
            window = context.evidence.get(ref)
            buffer = io.BytesIO()
            np.save(buffer, window.samples, allow_pickle=False)
            name = f"evidence-{ref}.npy"
            files[name] = buffer.getvalue()
            shape = "x".join(str(n) for n in window.samples.shape)
            shown[f"/scratch/{name}"] = (
                f"{window.samples.dtype} samples, shape {shape}, at {window.rate} Hz"
            )
        return shown

    def _result(self, task: CodeTask, run: Run, scratch: Path, key: str) -> dict[str, Any]:
        if task.result == "text":
            return {"text": run.stdout}
        if task.result == "json":
            try:
                return {"value": json.loads(run.stdout)}
            except json.JSONDecodeError as error:
                raise WorkerError(
                    f"the program printed no single JSON document ({error}); it printed "
                    f"{run.stdout[:200]!r}. Print exactly one JSON document."
                ) from None
        return {"files": self._collect(scratch / "out", key), "text": run.stdout}

    def _collect(self, out: Path, key: str) -> list[dict[str, Any]]:
        """Copy the regular files the program left in ``out``; links are never followed."""
        if self.files_dir is None:
            raise WorkerError(f"code worker {self.name!r} has no files_dir to keep files in")
        if not out.is_dir() or out.is_symlink():
            raise WorkerError("the program wrote no /scratch/out folder; write files there")
        target = self.files_dir / _safe_name(key)
        target.mkdir(parents=True, exist_ok=True)
        kept: list[dict[str, Any]] = []
        for entry in sorted(os.scandir(out), key=lambda e: e.name)[:_MAX_FILES]:
            if not entry.is_file(follow_symlinks=False):
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as source:
                data = source.read(self.limits.file_size_mb << 20)
            path = target / _safe_name(entry.name)
            path.write_bytes(data)
            digest = hashlib.sha256(data).hexdigest()
            kept.append(
                {"name": path.name, "bytes": len(data), "sha256": digest, "path": str(path)}
            )
        return kept


def outline(value: Any, depth: int = 0) -> Any:
    """What the model may know of the data: its shape, not its contents."""
    if isinstance(value, dict) and depth < 3:
        items = list(value.items())[:40]
        return {str(k): outline(v, depth + 1) for k, v in items}
    if isinstance(value, list):
        items: list[Any] = value
        if items and all(isinstance(v, int | float) for v in items):
            return f"list of {len(items)} numbers"
        first = outline(items[0], depth + 1) if items else None
        return f"list of {len(items)} items; the first: {json.dumps(first)[:200]}"
    if isinstance(value, str) and len(value) > 80:
        return f"text of {len(value)} characters"
    if isinstance(value, dict):
        return f"object with {len(value)} keys"
    return value


def _safe_name(text: str) -> str:
    """A file name made of letters, digits, '.', '_' and '-' only."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def _limits_line(limits: SandboxLimits) -> str:
    return (
        f"cpu {limits.cpu_s} s, wall {limits.wall_s:g} s, memory {limits.memory_mb} MB, "
        f"file size {limits.file_size_mb} MB, scratch {limits.scratch_mb} MB, "
        f"open files {limits.open_files}, processes {limits.processes}"
    )


def _run_record(digest: str, run: Run) -> dict[str, Any]:
    return {
        "program_sha256": digest,
        "outcome": run.outcome,
        "duration_s": round(run.duration_s, 3),
        "limits": run.limits.model_dump(),
    }


def _run_evidence(digest: str, run: Run) -> str:
    return (
        f"run of program {digest[:12]}: {run.describe()}; exit {run.exit_code}; limits "
        f"{_limits_line(run.limits)}\nstdout:\n{run.stdout[-_TAIL:]}\nstderr:\n"
        f"{run.stderr[-_TAIL:]}"
    )
