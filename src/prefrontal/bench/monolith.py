"""Monolith: one agent on the capable tier owns every domain and does every sub-task itself.

For each task it takes one step per sub-task and a final step that replies: each step's
prompt holds every domain's charter, remembered notes and history (kept per domain exactly
as an orchestrator keeps its own: 12 recent events, then compacted notes), the current
event, and the sub-task's material: the whole document for reading and summarising. Like
any single agent that does everything, every call offers all its outputs (the workers'
typed outputs and the ``Decision``); a step answers with one of them. History is re-rendered
at each step rather than carried as a growing conversation, which favours the monolith.
It has no inbox: every reply reaches the principal at once. Its steps and replies are
journaled as decisions and inbox items, so its figures come from its journal.
"""

from __future__ import annotations

from typing import Any

from pydantic_ai import Agent
from pydantic_ai.messages import ToolCallPart

from prefrontal.bench.agents import (
    Recorder,
    Slot,
    ask,
    event_block,
    history_block,
    inbound_request,
    inbound_timer,
    new_state,
)
from prefrontal.bench.parts import (
    CAPABLE,
    INSTRUCTIONS,
    KINDS,
    Facts,
    Finding,
    Material,
    Summary,
    fixed_output,
    note_text,
    reply_text,
    scripted,
)
from prefrontal.bench.twotier import percept_of
from prefrontal.bench.workload import Task, Workload
from prefrontal.journal.base import Journal, Stored
from prefrontal.seam.actions import Decision, RememberAction, ReplyAction
from prefrontal.seam.events import InboundEvent, Report
from prefrontal.testing import MemoryJournal
from prefrontal.workers.exact.arithmetic import Exact

AGENT = "monolith"
OUTPUTS: list[Any] = [Facts, Summary, Exact, Finding, Decision]

GUIDE = """\
You are the principal's assistant for every area of their life. You own every domain below
and do all the work yourself: read each document, summarise, compute and look things up,
then reply to the principal. Respect each domain's charter and what it must never do."""


def _prompt(workload: Workload, states: dict[str, Any], event: InboundEvent, task_line: str) -> str:
    blocks = [history_block(f"Domain: {t.name}", t, states[t.name]) for t in workload.themes]
    return "\n\n".join([*blocks, event_block(event), task_line])


async def run_monolith(workload: Workload) -> Journal:
    journal = MemoryJournal()
    recorder = Recorder(journal)
    states = {t.name: new_state(t.name) for t in workload.themes}
    slot = Slot()
    agent: Agent[None, Any] = Agent(
        scripted(CAPABLE, slot), instructions=GUIDE, output_type=OUTPUTS
    )
    for task in workload.tasks:
        cause = recorder.inbound(_inbound(task))
        for index, subtask in enumerate(task.subtasks):
            material = Material(subtask, workload.documents).render()
            line = f"Do it yourself now: {INSTRUCTIONS[subtask.kind]}\n\n{material}"
            answer = fixed_output(subtask, task.domain)
            prompt = _prompt(workload, states, cause.event, line)
            usage = await ask(
                agent, slot, prompt, _call(OUTPUTS[KINDS.index(subtask.kind)], answer)
            )
            decision = recorder.decide(
                agent=AGENT, cause=cause, actions=(), usage=usage, rationale=f"{subtask.kind} done"
            )
            states[task.domain].apply(cause.seq, cause.event, decision)
            cause = recorder.inbound(_own_result(task, index, answer))
        await _reply(workload, states, recorder, agent, slot, task, cause)
    return journal


async def _reply(
    workload: Workload,
    states: dict[str, Any],
    recorder: Recorder,
    agent: Agent[None, Any],
    slot: Slot,
    task: Task,
    cause: Stored[InboundEvent],
) -> None:
    actions = (
        ReplyAction(text=reply_text(task), priority=task.priority),
        RememberAction(note=note_text(task)),
    )
    answer = Decision(actions=actions).model_dump(mode="json")
    line = "All steps are done: decide what to tell the principal and what to remember."
    prompt = _prompt(workload, states, cause.event, line)
    usage = await ask(agent, slot, prompt, _call(Decision, answer))
    decision = recorder.decide(agent=AGENT, cause=cause, actions=actions, usage=usage)
    states[task.domain].apply(cause.seq, cause.event, decision)


def _inbound(task: Task) -> InboundEvent:
    if task.source == "request":
        return inbound_request(task, task.domain)
    if task.source == "timer":
        return inbound_timer(task, task.domain)
    return percept_of(task)


def _own_result(task: Task, index: int, output: dict[str, Any]) -> Report:
    """The monolith's own step result, journaled as a report from itself (no worker)."""
    return Report(
        commission_id=f"{task.task_id}-s{index}",
        domain=task.domain,
        worker=AGENT,
        status="ok",
        output=output,
        thread_id=task.task_id,
        source=task.source,
        at=task.at,
    )


def _call(output: type[Any], answer: dict[str, Any]) -> ToolCallPart:
    """The scripted answer as a call of the output tool pydantic-ai names for ``output``."""
    return ToolCallPart(f"final_result_{output.__name__}", answer)
