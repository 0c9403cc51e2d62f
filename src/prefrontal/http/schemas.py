"""The API's typed bodies (its OpenAPI schema). Text fields are made printable first."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from prefrontal.runtime.client import Answered, Memory, Submitted, Timer
from prefrontal.runtime.costs import Totals
from prefrontal.runtime.inbox import InboxEntry
from prefrontal.seam.events import InboxItem
from prefrontal.seam.printable import printable


class AskBody(BaseModel):
    text: str = Field(max_length=20_000)
    domain: str | None = None


class NoteBody(BaseModel):
    note: str = ""


class RouteBody(BaseModel):
    domain: str


class Error(BaseModel):
    error: str
    message: str
    retryable: bool = False


class Item(BaseModel):
    item_id: str
    domain: str | None
    item: str
    text: str
    priority: str
    delivery: str
    needs_answer: bool
    options: list[str]
    state: Literal["pending", "answered", ""]
    thread_id: str
    at: datetime

    @classmethod
    def of(
        cls, item: InboxItem, state: Literal["pending", "answered", ""] = "", text: str = ""
    ) -> Item:
        return cls(
            item_id=item.item_id,
            domain=item.domain,
            item=item.item,
            text=printable(text or item.text),
            priority=item.priority,
            delivery=item.delivery,
            needs_answer=item.needs_answer,
            options=list(item.options),
            state=state,
            thread_id=item.thread_id,
            at=item.at,
        )

    @classmethod
    def entry(cls, entry: InboxEntry) -> Item:
        state = "pending" if entry.pending else ("answered" if entry.answer else "")
        return cls.of(entry.item, state, entry.text)  # handles resolved, marked as outside


class SubmittedOut(BaseModel):
    request_id: str
    queued: bool
    answers: list[Item]

    @classmethod
    def of(cls, submitted: Submitted) -> SubmittedOut:
        answers = [Item.entry(a) for a in submitted.answers]
        return cls(request_id=submitted.request_id, queued=submitted.queued, answers=answers)


class AnsweredOut(BaseModel):
    item_id: str
    queued: bool

    @classmethod
    def of(cls, answered: Answered) -> AnsweredOut:
        return cls(item_id=answered.item_id, queued=answered.queued)


class TimerOut(BaseModel):
    timer_id: str
    domain: str
    name: str
    due_at: datetime
    state: str

    @classmethod
    def of(cls, timer: Timer) -> TimerOut:
        return cls(
            timer_id=timer.timer_id,
            domain=timer.domain,
            name=printable(timer.name),
            due_at=timer.due_at,
            state=timer.state,
        )


class MemoryOut(BaseModel):
    domain: str
    notes: list[str]
    compacted: list[str]
    forgotten: int
    decisions: int
    spent_usd: str

    @classmethod
    def of(cls, memory: Memory) -> MemoryOut:
        return cls(
            domain=memory.domain,
            notes=[printable(n) for n in memory.notes],
            compacted=[printable(n) for n in memory.compacted],
            forgotten=memory.forgotten,
            decisions=memory.decisions,
            spent_usd=f"{memory.spent_usd:.4f}",
        )


class DomainOut(BaseModel):
    domain: str
    charter: str
    workers: list[str]
    budget_usd_per_day: float


class CostOut(BaseModel):
    key: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost: str

    @classmethod
    def of(cls, key: str, totals: Totals) -> CostOut:
        return cls(
            key=printable(key),
            calls=totals.requests,
            input_tokens=totals.input_tokens,
            output_tokens=totals.output_tokens,
            cost=totals.money,
        )


class CostsOut(BaseModel):
    total: CostOut
    by: dict[str, list[CostOut]]


class EventOut(BaseModel):
    seq: int
    kind: str
    at: datetime
    domain: str | None
    line: str
    record: dict[str, Any]


class JournalPageOut(BaseModel):
    events: list[EventOut]
    next_after: int
    last_seq: int
