"""Flat: every worker is a peer agent on the capable tier; any may message any, or the principal.

The peers are the two-tier system's workers promoted to agents: for each domain a reader, a
summariser, a calculator and a looker-up, each with its domain's charter and its own history
(kept as an orchestrator keeps its own). With no owner above them, every peer must know
every other peer to address it, so each prompt lists the whole network. A request goes to
the peer for its first sub-task; each peer does its part, tells the principal what it found
and passes the task to the peer for the next part. A percept reaches every peer of its
domain, and each one decides whether it is theirs. There is no inbox: every message to the
principal reaches them at once. Peer messages are journaled as hand-offs, peer steps as
decisions, so the figures read this journal as they read the others.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import Agent

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
    DESCRIPTIONS,
    INSTRUCTIONS,
    KINDS,
    Material,
    fixed_output,
    scripted,
    worker_name,
)
from prefrontal.bench.twotier import percept_of
from prefrontal.bench.workload import SubTask, Task, Theme, Workload
from prefrontal.journal.base import Journal, Stored
from prefrontal.runtime.state import DomainState
from prefrontal.seam.actions import Action, HandOffAction, ReplyAction
from prefrontal.seam.events import HandOffEvent, InboundEvent
from prefrontal.testing import MemoryJournal

GUIDE = """\
You are one agent in a network of peers that together serve the principal. Do your own part
of a task yourself, tell the principal what you found, and message the peer whose part comes
next. Anything that is not your part, leave to the peer it belongs to."""


class PeerMessage(BaseModel):
    to: str = Field(description="a peer's name, or 'principal'")
    text: str = Field(max_length=2_000)


class PeerTurn(BaseModel):
    """A peer's answer: the result of its part (if it had one) and the messages it sends."""

    result: dict[str, Any] | None = None
    messages: list[PeerMessage] = Field(default_factory=list[PeerMessage])


class Network:
    """The peers, their histories, and the directory every prompt carries."""

    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self.themes = {t.name: t for t in workload.themes}
        self.states: dict[str, DomainState] = {}
        lines = []
        for theme in workload.themes:
            for kind in KINDS:
                name = worker_name(theme.name, kind)
                self.states[name] = new_state(name)
                lines.append(f"- {name}: {theme.name}: {DESCRIPTIONS[kind]}")
        self.directory = "Peers you may message (or message 'principal'):\n" + "\n".join(lines)

    def prompt(self, peer: str, theme: Theme, event: InboundEvent, part: str) -> str:
        mine = history_block(f"You are the peer {peer}", theme, self.states[peer])
        return "\n\n".join([mine, self.directory, event_block(event), part])


async def run_flat(workload: Workload) -> Journal:
    journal = MemoryJournal()
    recorder = Recorder(journal)
    network = Network(workload)
    slot = Slot()
    agent: Agent[None, Any] = Agent(
        scripted(CAPABLE, slot), instructions=GUIDE, output_type=PeerTurn
    )
    for task in workload.tasks:
        theme = network.themes[task.domain]
        peers = [worker_name(task.domain, s.kind) for s in task.subtasks]
        cause = recorder.inbound(_inbound(task, peers[0]))
        if task.source == "percept":
            await _bystanders(network, recorder, agent, slot, task, peers[0])
        for index, subtask in enumerate(task.subtasks):
            following = peers[index + 1] if index + 1 < len(peers) else None
            cause = await _step(
                network, recorder, agent, slot, task, theme, cause, subtask, following
            )
    return journal


async def _step(
    network: Network,
    recorder: Recorder,
    agent: Agent[None, Any],
    slot: Slot,
    task: Task,
    theme: Theme,
    cause: Stored[InboundEvent],
    subtask: SubTask,
    following: str | None,
) -> Stored[InboundEvent]:
    """One peer does its part, messages the principal, and passes the task on."""
    peer = str(getattr(cause.event, "domain", ""))
    material = Material(subtask, network.workload.documents).render()
    part = f"Your part now: {INSTRUCTIONS[subtask.kind]}\n\n{material}"
    output = fixed_output(subtask, task.domain)
    told = f"{peer} finished its part of {task.task_id} ({subtask.kind})."
    messages = [PeerMessage(to="principal", text=told)]
    actions: list[Action] = [ReplyAction(text=told, priority=task.priority)]
    ask_next = f"Please do the next part of {task.task_id}: {task.text}"
    if following is not None:
        messages.append(PeerMessage(to=following, text=ask_next))
        actions.append(HandOffAction(domain=following, text=ask_next, payload={"result": output}))
    answer = PeerTurn(result=output, messages=messages).model_dump(mode="json")
    prompt = network.prompt(peer, theme, cause.event, part)
    usage = await ask(agent, slot, prompt, answer)
    decision = recorder.decide(agent=peer, cause=cause, actions=tuple(actions), usage=usage)
    network.states[peer].apply(cause.seq, cause.event, decision)
    if following is None:
        return cause
    depth = getattr(cause.event, "depth", 0) + 1
    handoff = HandOffEvent(
        handoff_id=f"h-{task.task_id}-{depth}",
        from_domain=peer,
        domain=following,
        text=ask_next,
        payload={"result": output},
        depth=depth,
        thread_id=task.task_id,
        source=task.source,
        at=task.at,
    )
    return recorder.inbound(handoff)


async def _bystanders(
    network: Network,
    recorder: Recorder,
    agent: Agent[None, Any],
    slot: Slot,
    task: Task,
    owner: str,
) -> None:
    """The domain's other peers see the percept too, and each decides it is not theirs."""
    theme = network.themes[task.domain]
    for kind in KINDS:
        peer = worker_name(task.domain, kind)
        if peer == owner:
            continue
        percept = percept_of(task).model_copy(
            update={"percept_id": f"{task.task_id}@{peer}", "domain": peer}
        )
        cause = recorder.inbound(percept)
        part = "Decide whether any part of this is yours; if not, leave it."
        prompt = network.prompt(peer, theme, percept, part)
        usage = await ask(agent, slot, prompt, PeerTurn().model_dump(mode="json"))
        decision = recorder.decide(agent=peer, cause=cause, actions=(), usage=usage)
        network.states[peer].apply(cause.seq, percept, decision)


def _inbound(task: Task, peer: str) -> InboundEvent:
    if task.source == "request":
        return inbound_request(task, peer)
    if task.source == "timer":
        return inbound_timer(task, peer)
    return percept_of(task).model_copy(update={"domain": peer})
