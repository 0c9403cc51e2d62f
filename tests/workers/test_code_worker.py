"""The code worker: a scripted model writes a program, the real sandbox runs it, a typed report."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prefrontal import Config, ConfigError, RecordError, WorkerError, open_system
from prefrontal.errors import SandboxLimitError, SandboxUnavailableError
from prefrontal.sandbox import Bubblewrap, SandboxLimits
from prefrontal.seam import Report
from prefrontal.testing import FakeClock, MemoryJournal, ScriptedModel
from prefrontal.workers import CommissionContext
from prefrontal.workers.code import INSTRUCTIONS, CodeWorker, Program, outline
from prefrontal.workers.llm import LlmWorker

pytestmark = pytest.mark.anyio

FFT_PROGRAM = """
import json
import numpy as np
data = json.load(open("inputs.json"))
signal = np.asarray(data["signal"], dtype=float)
spectrum = np.abs(np.fft.rfft(signal))
freqs = np.fft.rfftfreq(len(signal), 1 / data["rate"])
print(json.dumps({"dominant_hz": float(freqs[int(np.argmax(spectrum[1:])) + 1])}))
"""

CONFIG = """
[models]
cheap = "anthropic:claude-haiku-4-5"

[workers.compute]
kind = "code"
tier = "cheap"
trusted = true  # its inputs are the lab's own data: the numbers it prints are readable
limits = { cpu_s = 5, wall_s = 10, memory_mb = 1024 }

[domains.lab]
charter = "measurements"
policy = "code_mod:lab"
workers = ["compute"]
"""

MODULE = """
from prefrontal import *

def lab(state, event):
    if isinstance(event, RoutedEvent):
        rate = n = 2000
        k = 2 * math.pi / rate
        signal = [round(math.sin(k * 123 * i) + 0.4 * math.sin(k * 300 * i), 4) for i in range(n)]
        task = {"task": "the dominant frequency of the signal, in Hz",
                "inputs": {"rate": rate, "signal": signal}}
        return Decision.of(CommissionAction(worker="compute", inputs=task))
    if isinstance(event, Report) and event.ok:
        return Decision.of(ReplyAction(text=f"{event.output['value']['dominant_hz']} Hz"))
    return Decision.of()

import math
"""


def tone(hz: float, rate: int = 8000) -> list[float]:
    return [math.sin(2 * math.pi * hz * i / rate) for i in range(rate)]


def worker(
    sandbox: Bubblewrap, *programs: str, tmp_path: Path | None = None, **limits: Any
) -> tuple[CodeWorker, ScriptedModel]:
    model = ScriptedModel([{"code": code} for code in programs])
    writer = LlmWorker(
        "compute", model, tier="cheap", instructions=INSTRUCTIONS, output_type=Program
    )
    code = CodeWorker(
        "compute", writer, sandbox, limits=SandboxLimits(**limits), repairs=1, files_dir=tmp_path
    )
    return code, model


async def ask_the_lab(config: Config, model: ScriptedModel) -> MemoryJournal:
    """Run the lab system on one request, its code worker writing with ``model``."""
    journal = MemoryJournal()
    async with open_system(
        config, journal=journal, clock=FakeClock(), models={"cheap": model}
    ) as system:
        await system.submit("@lab what is the dominant frequency?")
        await system.run_until_idle()
    return journal


def context() -> CommissionContext:
    return CommissionContext(idempotency_key="lab-3-0", worker="compute", attempt=1)


async def test_the_dominant_frequency_comes_back_exact_as_a_typed_report(
    write_config: Callable[..., Config], sandbox: Bubblewrap
) -> None:
    model = ScriptedModel([{"code": FFT_PROGRAM}], input_tokens=400, output_tokens=120)
    journal = await ask_the_lab(write_config(CONFIG, code_mod=MODULE), model)
    reports = [s.event for s in journal.read() if isinstance(s.event, Report)]
    assert len(reports) == 1
    report = reports[0]
    assert report.status == "ok", report.error
    assert report.output["value"] == {"dominant_hz": 123.0}
    run = report.output["run"]
    assert run["outcome"] == "ok"
    assert run["limits"]["cpu_s"] == 5
    assert run["limits"]["wall_s"] == 10
    assert any("np.fft.rfft" in item for item in report.evidence)  # the program is kept
    assert any("finished in" in item for item in report.evidence)  # and its run
    assert report.usage
    assert report.usage[0].input_tokens == 400
    assert report.usage[0].tier == "cheap"
    # the model saw the data's outline, never the 2000 samples
    prompt = json.dumps([str(m) for m in model.prompts[0]])
    assert "list of 2000 numbers" in prompt
    assert "0.7005" not in prompt  # the second sample
    replies = [s.event for s in journal.read() if s.event.kind == "inbox"]
    assert any("123.0 Hz" in getattr(r, "text", "") for r in replies)


async def test_a_failed_program_is_shown_its_error_and_rewritten(sandbox: Bubblewrap) -> None:
    broken = "import json\nprint(json.dumps(undefined_name))"
    code, model = worker(sandbox, broken, 'import json\nprint(json.dumps({"n": 6 * 7}))')
    result = await code.run({"task": "six times seven"}, ctx := context())
    assert result.output["value"] == {"n": 42}
    assert model.calls == 2
    second = json.dumps([str(m) for m in model.prompts[1]])
    assert "NameError" in second
    assert "undefined_name" in second
    assert sum("program" in item and "writing" in item for item in ctx.kept) == 2


async def test_output_that_is_not_json_is_rewritten_then_fails_clearly(sandbox: Bubblewrap) -> None:
    code, model = worker(sandbox, "print('about 42')")
    with pytest.raises(WorkerError, match="no single JSON document") as caught:
        await code.run({"task": "six times seven"}, context())
    assert "2 writing(s)" in str(caught.value)
    assert model.calls == 2


async def test_a_cap_is_final_and_named(sandbox: Bubblewrap) -> None:
    code, model = worker(sandbox, "while True:\n    pass", cpu_s=1, wall_s=10)
    ctx = context()
    with pytest.raises(SandboxLimitError, match=r"CPU-time cap \(1 s\)") as caught:
        await code.run({"task": "spin"}, ctx)
    assert "Raise [workers.compute.limits]" in str(caught.value)
    assert model.calls == 1  # a cap is not rewritten
    assert any("stopped by the CPU-time cap" in item for item in ctx.kept)


async def test_text_results_come_back_as_text(sandbox: Bubblewrap) -> None:
    code, _ = worker(
        sandbox, "from fractions import Fraction\nprint(Fraction(1, 3) + Fraction(1, 6))"
    )
    result = await code.run({"task": "1/3 + 1/6", "result": "text"}, context())
    assert result.output["text"] == "1/2\n"


async def test_files_are_kept_and_links_are_never_followed(
    sandbox: Bubblewrap, tmp_path: Path
) -> None:
    program = (
        "import os\nos.makedirs('out')\nopen('out/table.csv', 'w').write('a,b\\n1,2\\n')\n"
        "os.symlink('/etc/hostname', 'out/host')\nos.symlink('/scratch/inputs.json', 'out/in')\n"
        "print('one table')"
    )
    code, _ = worker(sandbox, program, tmp_path=tmp_path)
    result = await code.run({"task": "a table", "result": "files"}, context())
    files = result.output["files"]
    assert [f["name"] for f in files] == ["table.csv"]
    assert files[0]["bytes"] == 8
    assert Path(files[0]["path"]).read_text() == "a,b\n1,2\n"
    assert Path(files[0]["path"]).parent == tmp_path / "lab-3-0"


async def test_bad_inputs_name_the_field(sandbox: Bubblewrap) -> None:
    code, model = worker(sandbox, "print(1)")
    with pytest.raises(RecordError, match="task"):
        await code.run({"inputs": [1, 2]}, context())
    with pytest.raises(RecordError, match="result"):
        await code.run({"task": "x", "result": "pdf"}, context())
    assert model.calls == 0


def test_the_outline_shows_shape_not_contents() -> None:
    shown = outline({"rate": 8000, "signal": tone(440), "note": "x" * 500, "rows": [[1, 2]]})
    assert shown == {
        "rate": 8000,
        "signal": "list of 8000 numbers",
        "note": "text of 500 characters",
        "rows": 'list of 1 items; the first: "list of 2 numbers"',
    }


async def test_without_a_sandbox_the_system_refuses_to_start(
    write_config: Callable[..., Config], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(CONFIG, code_mod=MODULE)
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
    model = ScriptedModel([{"code": "print(1)"}])
    with pytest.raises(SandboxUnavailableError, match="apt-get install bubblewrap"):
        async with open_system(config, journal=MemoryJournal(), models={"cheap": model}):
            pass
    assert model.calls == 0


def test_code_worker_config_is_checked(write_config: Callable[..., Config]) -> None:
    short = CONFIG.replace("limits = {", "timeout_s = 15\nlimits = {")
    with pytest.raises(ConfigError, match=r"timeout_s = 15 is shorter than 2 run\(s\)"):
        write_config(short)
    typo = CONFIG.replace("cpu_s = 5", "cpu_seconds = 5")
    with pytest.raises(ConfigError, match="cpu_seconds"):
        write_config(typo)
    negative = CONFIG.replace("memory_mb = 1024", "memory_mb = 1")
    with pytest.raises(ConfigError, match="memory_mb"):
        write_config(negative)


async def test_a_percepts_evidence_reaches_the_program_not_the_model(
    sandbox: Bubblewrap, tmp_path: Path
) -> None:
    import numpy as np

    from prefrontal.senses.evidence import EvidenceStore

    store = EvidenceStore(tmp_path / "evidence")
    rate = 16000
    t = np.arange(rate) / rate
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)], axis=1)
    ref = store.put("ears", stereo, rate)
    program = (
        "import json, numpy as np\n"
        f"x = np.load('evidence-{ref}.npy')[:, 0]\n"
        f"peak = np.abs(np.fft.rfft(x)).argmax() * {rate} / len(x)\n"
        "print(json.dumps({'hz': float(peak)}))"
    )
    code, model = worker(sandbox, program)
    ctx = CommissionContext(idempotency_key="home-9-0", worker="compute", attempt=1, evidence=store)
    result = await code.run({"task": "the tone's frequency", "evidence": [ref]}, ctx)
    assert result.output["value"] == {"hz": 440.0}
    prompt = json.dumps([str(m) for m in model.prompts[0]])
    assert f"/scratch/evidence-{ref}.npy" in prompt
    assert "float32 samples, shape 16000x2, at 16000 Hz" in prompt


async def test_evidence_without_a_store_is_refused_by_name(sandbox: Bubblewrap) -> None:
    code, model = worker(sandbox, "print(1)")
    with pytest.raises(WorkerError, match="without an evidence store"):
        await code.run({"task": "x", "evidence": ["ears-0123456789ab"]}, context())
    assert model.calls == 0


async def test_a_run_stopped_by_a_cap_is_journaled_with_its_limits_and_evidence(
    write_config: Callable[..., Config], sandbox: Bubblewrap
) -> None:
    model = ScriptedModel([{"code": "hoard = bytearray(10 * 2**30)"}])
    journal = await ask_the_lab(write_config(CONFIG, code_mod=MODULE), model)
    (report,) = [s.event for s in journal.read() if isinstance(s.event, Report)]
    assert report.status == "failed"
    assert report.error is not None
    assert report.error.code == "sandbox_limit"
    assert "the memory cap (1024 MB)" in report.error.message
    assert "cpu 5 s, wall 10 s, memory 1024 MB" in report.error.message
    assert any("bytearray(10 * 2**30)" in item for item in report.evidence)
    assert any("MemoryError" in item for item in report.evidence)
    assert report.usage  # the model's writing is paid for even though the run failed
