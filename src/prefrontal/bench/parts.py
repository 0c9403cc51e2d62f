"""The parts every topology is built from: tiers, worker kinds, their fixed answers.

All three topologies use the same worker instructions and output types, the same exact
arithmetic and lookup code, the same documents and the same scripted models, whose answers
are fixed per sub-task. What differs is only who reads what with which model: the prompts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai.messages import ModelMessage, ModelRequest, UserPromptPart

from prefrontal.bench.workload import Document, SubTask, SubTaskKind, Task
from prefrontal.seam.work import CommissionContext, WorkerResult
from prefrontal.testing import Answer, Responder, ScriptedModel
from prefrontal.workers.exact.arithmetic import exact
from prefrontal.workers.llm import LlmWorker

CAPABLE = "anthropic:claude-sonnet-4-6"
CHEAP = "anthropic:claude-haiku-4-5"
CAPABLE_TIER = "capable"
CHEAP_TIER = "cheap"

KINDS: tuple[SubTaskKind, ...] = ("read", "summarise", "compute", "lookup")


class Facts(BaseModel):
    """What a reader hands up: the facts that matter, each one short."""

    facts: list[str] = Field(max_length=8)


class Summary(BaseModel):
    summary: str = Field(max_length=1_000)


class Finding(BaseModel):
    """A looked-up fact and where it came from."""

    answer: str
    source: str


INSTRUCTIONS: dict[SubTaskKind, str] = {
    "read": (
        "Read the document and list the facts that matter to its domain: amounts, dates, "
        "obligations, deadlines and anything that changed. At most eight, one line each."
    ),
    "summarise": "Summarise the document in at most five sentences for a busy reader.",
    "compute": "Compute the arithmetic expression exactly.",
    "lookup": "Look the query up in the household's reference records.",
}

DESCRIPTIONS: dict[SubTaskKind, str] = {
    "read": "reads a document and lists the facts that matter",
    "summarise": "summarises a document in five sentences",
    "compute": "exact arithmetic (rationals), never approximated",
    "lookup": "looks a query up in the household's reference records",
}


def lookup(query: str) -> Finding:
    """The household's reference records: a deterministic answer for every query."""
    digest = hashlib.sha256(query.encode()).hexdigest()
    return Finding(
        answer=f"{query}: record {digest[:8]}, updated {digest[8:10]} days ago",
        source="household records",
    )


def fixed_output(subtask: SubTask, domain: str) -> dict[str, Any]:
    """The scripted answer to a sub-task: the same whoever does it, on whichever tier."""
    topic = domain
    if subtask.kind == "read":
        return Facts(
            facts=[
                f"{topic}: the amount due is 412.50, payable by the 28th",
                f"{topic}: the terms change from next month; the notice period is 30 days",
                f"{topic}: a reply is needed only if the principal disagrees",
            ]
        ).model_dump()
    if subtask.kind == "summarise":
        return Summary(
            summary=(
                f"The {topic} document sets out the current terms and what changes next "
                "month. Costs rise slightly; deadlines are unchanged. Nothing needs an "
                "answer today. Keep it with the other papers of this domain."
            )
        ).model_dump()
    if subtask.kind == "compute":
        return exact(str(subtask.inputs["expression"])).model_dump()
    return lookup(str(subtask.inputs["query"])).model_dump()


def reply_text(task: Task) -> str:
    what = {"request": "your request", "timer": "the scheduled review", "percept": "what arrived"}
    return f"Done: {what[task.source]} in {task.domain} ({len(task.subtasks)} steps); " + (
        "the facts that matter are noted."
    )


def note_text(task: Task) -> str:
    return f"{task.task_id}: handled {', '.join(s.kind for s in task.subtasks)}; nothing open"


def last_prompt(messages: Sequence[ModelMessage]) -> str:
    """The text of the latest user prompt a model was sent."""
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in reversed(message.parts):
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    return ""


def scripted(model: str, responder: Responder) -> ScriptedModel:
    """A scripted model under a real model name, counting tokens from the prompt it gets."""
    provider, _, name = model.partition(":")
    return ScriptedModel(
        [responder], model_name=name, provider=provider, input_tokens=None, output_tokens=None
    )


def constant(answer: Answer) -> Responder:
    """A responder that gives the same answer to every prompt."""

    def respond(_messages: Sequence[ModelMessage]) -> Answer:
        return answer

    return respond


def worker_name(domain: str, kind: SubTaskKind) -> str:
    return f"{domain}-{kind}"


@dataclass(frozen=True, slots=True)
class Material:
    """What a sub-task hands its doer: the document's text, or its small inputs."""

    subtask: SubTask
    documents: Mapping[str, Document]

    def render(self) -> str:
        if "document_id" in self.subtask.inputs:
            document = self.documents[self.subtask.inputs["document_id"]]
            return f"Document: {document.title}\n\n{document.text}"
        return json.dumps(self.subtask.inputs, ensure_ascii=False)


class DocumentReader:
    """An LLM worker that is handed a document by reference and reads its text itself.

    The orchestrator commissions ``{"document_id": ...}``; the document's text (untrusted
    content) reaches only the worker's prompt, never the orchestrator's.
    """

    def __init__(self, inner: LlmWorker, documents: Mapping[str, Document]) -> None:
        self.inner = inner
        self.documents = documents

    @property
    def spec(self) -> Any:
        return self.inner.spec

    async def run(self, inputs: dict[str, Any], context: CommissionContext) -> WorkerResult:
        document = self.documents[str(inputs["document_id"])]
        return await self.inner.run({"title": document.title, "text": document.text}, context)


def output_type(kind: SubTaskKind) -> type[BaseModel]:
    from prefrontal.workers.exact.arithmetic import Exact

    return {"read": Facts, "summarise": Summary, "compute": Exact, "lookup": Finding}[kind]
