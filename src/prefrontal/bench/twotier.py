"""Two-tier: Prefrontal as designed, played through ``open_system``.

One orchestrator per domain with an LLM policy on the capable tier; per domain, a reader and
a summariser (LLM workers on the cheap tier) and exact arithmetic and lookup (tool workers,
plain code); the router, the real journal, and the one inbox: the principal's attention
budget is one interruption per orchestrator per day, and each domain's share of it is one
(``[domains.NAME] interruptions_per_day = 1``). The orchestrators' scripted model answers
each event it is shown with that task's fixed decision: commission every sub-task at once,
then, on the reports, reply (at the task's priority) and remember a note. LLM policies join
reports by default, so the model is woken once per fan-out, on its last report; with
``join_reports = false`` it is woken on every report and waits until the last. Every figure of this
topology is read back from the journal the runtime wrote.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic_ai.messages import ModelMessage

from prefrontal.bench.parts import (
    CAPABLE,
    CAPABLE_TIER,
    CHEAP,
    CHEAP_TIER,
    DESCRIPTIONS,
    INSTRUCTIONS,
    DocumentReader,
    constant,
    fixed_output,
    last_prompt,
    note_text,
    output_type,
    reply_text,
    scripted,
    worker_name,
)
from prefrontal.bench.workload import START, SubTask, SubTaskKind, Task, Workload
from prefrontal.clock import ManualClock
from prefrontal.config import Config, parse_config
from prefrontal.journal.base import Journal
from prefrontal.runtime.system import open_system
from prefrontal.seam.events import TimerSet
from prefrontal.seam.percept import Percept
from prefrontal.seam.work import Worker
from prefrontal.testing import MemoryJournal
from prefrontal.workers.llm import LlmWorker

_FUNCTIONS: dict[SubTaskKind, str] = {
    "compute": "prefrontal.workers.exact.arithmetic:exact",
    "lookup": "prefrontal.bench.parts:lookup",
}
_OUTPUTS = {"read": "prefrontal.bench.parts:Facts", "summarise": "prefrontal.bench.parts:Summary"}


def twotier_config(workload: Workload, *, capable: str = CAPABLE, cheap: str = CHEAP) -> Config:
    """The system's config: one domain per theme, four workers each, two model tiers."""
    workers: dict[str, Any] = {}
    domains: dict[str, Any] = {}
    for theme in workload.themes:
        names = []
        for kind in ("read", "summarise"):
            name = worker_name(theme.name, kind)
            names.append(name)
            workers[name] = {
                "kind": "llm",
                "tier": CHEAP_TIER,
                "instructions": INSTRUCTIONS[kind],
                "output": _OUTPUTS[kind],
                "description": DESCRIPTIONS[kind],
            }
        for kind, function in _FUNCTIONS.items():
            name = worker_name(theme.name, kind)
            names.append(name)
            workers[name] = {
                "kind": "tool",
                "function": function,
                "description": DESCRIPTIONS[kind],
            }
        domains[theme.name] = {
            "charter": theme.charter,
            "never": [theme.never],
            "policy": {"kind": "llm", "tier": CAPABLE_TIER},
            "workers": names,
            "budget": {"usd_per_day": 5.0},
            "interruptions_per_day": 1,
        }
    data = {
        "principal": {"name": "Alex", "interruptions_per_day": len(workload.themes)},
        "models": {CAPABLE_TIER: capable, CHEAP_TIER: cheap},
        "workers": workers,
        "domains": domains,
    }
    return parse_config(data, source="<bench: two-tier>", base_dir=Path("."))


class OrchestratorScript:
    """The orchestrators' scripted answers: each task's fixed decisions, event by event."""

    def __init__(self, tasks: Sequence[Task], *, joined: bool = True) -> None:
        self.tasks = {t.task_id: t for t in tasks}
        self.joined = joined
        self.reports: Counter[str] = Counter()

    def __call__(self, messages: Sequence[ModelMessage]) -> dict[str, Any]:
        head, body = _current_event(last_prompt(messages))
        thread = body.get("thread_id") or body.get("percept_id") or body["request"]["request_id"]
        task = self.tasks[thread]
        if head.startswith("report "):
            self.reports[thread] += 1
            if not self.joined and self.reports[thread] < len(task.subtasks):
                return {"actions": [{"kind": "wait", "reason": "the other reports are due"}]}
            return {
                "actions": [
                    {"kind": "reply", "text": reply_text(task), "priority": task.priority},
                    {"kind": "remember", "note": note_text(task)},
                ]
            }
        return {"actions": [_commission(task.domain, s) for s in task.subtasks]}


def _commission(domain: str, subtask: SubTask) -> dict[str, Any]:
    return {
        "kind": "commission",
        "worker": worker_name(domain, subtask.kind),
        "inputs": subtask.inputs,
    }


def _current_event(prompt: str) -> tuple[str, dict[str, Any]]:
    """The current event's one-line head and its JSON body, as the context renders them."""
    block = prompt[prompt.rindex("Current event: ") + len("Current event: ") :]
    head, _, rest = block.partition("\n")
    return head, json.loads(rest.split("\n", 1)[0])


def _readers(workload: Workload) -> dict[str, Worker]:
    readers: dict[str, Worker] = {}
    for theme in workload.themes:
        for kind in ("read", "summarise"):
            name = worker_name(theme.name, kind)
            answer = fixed_output(SubTask(kind=kind, inputs={}), theme.name)
            inner = LlmWorker(
                name,
                scripted(CHEAP, constant(answer)),
                tier=CHEAP_TIER,
                instructions=INSTRUCTIONS[kind],
                output_type=output_type(kind),
                description=DESCRIPTIONS[kind],
            )
            readers[name] = DocumentReader(inner, workload.documents)
    return readers


def percept_of(task: Task) -> Percept:
    return Percept(
        percept_id=task.task_id,
        domain=task.domain,
        sense="mail",
        sense_version="bench-1",
        name="document.arrived",
        fields={"subtasks": len(task.subtasks)},
        rendering=task.text,
        confidence=0.95,
        span=(0.0, 0.0),
        at=task.at,
    )


async def run_twotier(workload: Workload) -> Journal:
    """Play the workload through a running system; returns its journal."""
    config = twotier_config(workload)
    journal = MemoryJournal()
    clock = ManualClock(START)
    joined = all(d.joins_reports for d in config.domains.values())
    capable = scripted(CAPABLE, OrchestratorScript(workload.tasks, joined=joined))
    models = {CAPABLE_TIER: capable, CHEAP_TIER: scripted(CHEAP, constant({}))}
    async with open_system(
        config, journal=journal, clock=clock, models=models, workers=_readers(workload)
    ) as system:
        # The timers are a standing schedule (weekly reviews, due dates) set before the month.
        timers = [
            TimerSet(
                timer_id=f"t-{t.task_id}",
                domain=t.domain,
                name=t.text,
                due_at=t.at,
                thread_id=t.task_id,
                at=START,
            )
            for t in workload.tasks
            if t.source == "timer"
        ]
        if timers:
            await system.writer.commit(timers)
        for task in workload.tasks:
            clock.set(task.at)
            if task.source == "request":
                await system.submit(task.text, domain=task.domain, request_id=task.task_id)
            elif task.source == "percept":
                await system.writer.commit([percept_of(task)])
            await system.run_until_idle()
    return journal
