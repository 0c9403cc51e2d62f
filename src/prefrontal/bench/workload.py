"""A seeded month of a personal system: tasks across domains, with documents to read.

Every domain gets, each day, a few principal requests, now and then a standing timer (a
weekly review, a due date) and a percept (a letter or a reading that arrived). Each task
needs one to four bounded sub-tasks: read a document, summarise one, compute exactly, or
look something up. Documents are of realistic length (300 to 12,000 words, median
1,000). Invariants: the same seed gives the same workload byte for byte, and a domain's
tasks do not depend on how many other domains there are (each domain-day has its own seed),
so sweeping the number of domains only adds domains.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from prefrontal.seam.actions import Priority

SubTaskKind = Literal["read", "summarise", "compute", "lookup"]
TaskSource = Literal["request", "timer", "percept"]

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


@dataclass(frozen=True, slots=True, kw_only=True)
class Theme:
    """A domain's charter and the words its documents and requests are made of."""

    name: str
    charter: str
    never: str
    papers: tuple[str, ...]
    words: tuple[str, ...]


THEMES: tuple[Theme, ...] = (
    Theme(
        name="home",
        charter="The house: heating, repairs, utilities, cleaning and the contractors.",
        never="never let a contractor in without the principal's approval",
        papers=("boiler service report", "electricity bill", "plumber's quote", "lease"),
        words=("boiler", "radiator", "meter", "tariff", "contractor", "kitchen", "damp"),
    ),
    Theme(
        name="health",
        charter="The principal's health: appointments, prescriptions, activity and results.",
        never="never share health data outside this domain",
        papers=("blood test results", "clinic letter", "prescription leaflet", "referral"),
        words=("dose", "appointment", "cholesterol", "clinic", "pharmacy", "steps", "sleep"),
    ),
    Theme(
        name="money",
        charter="Household money: accounts, bills, budgets and savings.",
        never="never pay more than 500 without approval",
        papers=("bank statement", "credit card statement", "savings terms", "invoice"),
        words=("balance", "interest", "payment", "budget", "overdraft", "transfer", "fee"),
    ),
    Theme(
        name="travel",
        charter="Trips: bookings, itineraries, documents and loyalty points.",
        never="never book non-refundable fares without approval",
        papers=("booking confirmation", "itinerary", "visa guidance", "hotel terms"),
        words=("flight", "terminal", "check-in", "passport", "luggage", "transfer", "hotel"),
    ),
    Theme(
        name="work",
        charter="The principal's job: meetings, deadlines, expenses and reviews.",
        never="never accept a meeting on the principal's behalf",
        papers=("project brief", "meeting minutes", "expense policy", "performance review"),
        words=("deadline", "meeting", "milestone", "review", "expense", "client", "draft"),
    ),
    Theme(
        name="family",
        charter="Family life: school, birthdays, shared calendars and childcare.",
        never="never share the children's details with third parties",
        papers=("school newsletter", "term calendar", "club letter", "permission form"),
        words=("school", "pickup", "birthday", "homework", "club", "holiday", "teacher"),
    ),
    Theme(
        name="car",
        charter="The car: servicing, insurance, tax, fuel and parking.",
        never="never authorise repairs above 300 without approval",
        papers=("service invoice", "MOT report", "parking notice", "lease agreement"),
        words=("tyre", "service", "mileage", "brake", "permit", "fuel", "garage"),
    ),
    Theme(
        name="garden",
        charter="The garden: planting, watering, tools and the allotment.",
        never="never use pesticides near the vegetable beds",
        papers=("seed catalogue", "allotment rules", "soil test", "tool warranty"),
        words=("soil", "seedling", "compost", "frost", "pruning", "bed", "hose"),
    ),
    Theme(
        name="pets",
        charter="The pets: vet visits, food, insurance and sitters.",
        never="never change the pets' diet without the vet's advice",
        papers=("vet record", "pet insurance policy", "sitter notes", "food recall notice"),
        words=("vaccination", "worming", "kibble", "walk", "vet", "weight", "sitter"),
    ),
    Theme(
        name="learning",
        charter="Courses and reading: enrolments, assignments and notes.",
        never="never submit work in the principal's name",
        papers=("course syllabus", "assignment brief", "reading list", "lecture notes"),
        words=("module", "essay", "lecture", "chapter", "quiz", "citation", "seminar"),
    ),
    Theme(
        name="taxes",
        charter="Taxes: returns, receipts, deadlines and correspondence with the tax office.",
        never="never file a return without the principal's signature",
        papers=("tax return guide", "payslip", "tax office letter", "pension statement"),
        words=("allowance", "deduction", "receipt", "bracket", "deadline", "refund", "code"),
    ),
    Theme(
        name="insurance",
        charter="Insurance policies: renewals, claims and cover.",
        never="never cancel a policy before its replacement starts",
        papers=("home policy", "claim form", "renewal notice", "cover summary"),
        words=("premium", "excess", "claim", "cover", "renewal", "exclusion", "broker"),
    ),
    Theme(
        name="fitness",
        charter="Fitness: training plans, classes, races and equipment.",
        never="never book classes that clash with work",
        papers=("training plan", "race information pack", "gym terms", "coach notes"),
        words=("interval", "pace", "class", "race", "stretch", "recovery", "distance"),
    ),
    Theme(
        name="social",
        charter="Friends and events: invitations, gifts and keeping in touch.",
        never="never reply to an invitation without asking",
        papers=("wedding invitation", "event programme", "group chat export", "gift list"),
        words=("dinner", "invitation", "gift", "venue", "guest", "toast", "reunion"),
    ),
    Theme(
        name="hobbies",
        charter="Hobbies: music lessons, the photography club and kit.",
        never="never spend more than 100 on kit without approval",
        papers=("lesson plan", "club newsletter", "camera manual", "exhibition call"),
        words=("lens", "scale", "rehearsal", "print", "tripod", "lesson", "exposure"),
    ),
    Theme(
        name="legal",
        charter="Legal paperwork: contracts, the will, identity documents and deadlines.",
        never="never sign anything on the principal's behalf",
        papers=("tenancy contract", "will draft", "solicitor letter", "terms of service"),
        words=("clause", "party", "witness", "notice", "liability", "term", "signature"),
    ),
)

MAX_DOMAINS = len(THEMES)

_FILLER = (
    "the",
    "and",
    "of",
    "for",
    "with",
    "this",
    "that",
    "will",
    "must",
    "should",
    "be",
    "is",
    "on",
    "by",
    "from",
    "your",
    "please",
    "note",
    "before",
    "after",
    "each",
    "month",
    "week",
    "date",
    "amount",
    "total",
    "account",
    "reference",
    "details",
    "below",
    "above",
    "section",
    "schedule",
    "period",
    "change",
    "update",
    "notice",
    "required",
    "available",
    "contact",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    document_id: str
    title: str
    text: str

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True, slots=True, kw_only=True)
class SubTask:
    """One bounded piece of work: what a worker is commissioned to do."""

    kind: SubTaskKind
    inputs: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """One thread of work: a request, a timer or a percept, and the sub-tasks it needs."""

    task_id: str
    domain: str
    day: int
    at: datetime
    source: TaskSource
    text: str
    subtasks: tuple[SubTask, ...]
    priority: Priority


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    seed: int
    days: int
    themes: tuple[Theme, ...]
    tasks: tuple[Task, ...]
    documents: dict[str, Document] = field(default_factory=dict[str, Document])

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.themes)

    def count(self, source: TaskSource) -> int:
        return sum(1 for t in self.tasks if t.source == source)


def _document(rng: random.Random, theme: Theme, document_id: str) -> Document:
    paper = rng.choice(theme.papers)
    # Lognormal: median 1,000 words (a letter, a statement), a tail to 12,000 (a lease, a policy).
    words = int(min(12_000, max(300, rng.lognormvariate(math.log(1_000), 0.8))))
    sentences: list[str] = []
    written = 0
    while written < words:
        length = rng.randint(8, 22)
        picked = [
            rng.choice(theme.words) if rng.random() < 0.3 else rng.choice(_FILLER)
            for _ in range(length)
        ]
        if rng.random() < 0.4:
            picked.insert(
                rng.randrange(length), f"{rng.randint(1, 2_000)}.{rng.randint(0, 99):02d}"
            )
        sentence = " ".join(picked)
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
        written += len(picked)
    title = f"{paper} no. {rng.randint(100, 999)}"
    paragraphs = [" ".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6)]
    return Document(document_id=document_id, title=title, text="\n\n".join(paragraphs))


def _subtasks(
    rng: random.Random, theme: Theme, task_id: str, documents: dict[str, Document], count: int
) -> tuple[SubTask, ...]:
    found: list[SubTask] = []
    for index in range(count):
        kind: SubTaskKind = rng.choice(("read", "read", "summarise", "compute", "lookup"))
        if kind in ("read", "summarise"):
            document = _document(rng, theme, f"{task_id}-d{index}")
            documents[document.document_id] = document
            found.append(SubTask(kind=kind, inputs={"document_id": document.document_id}))
        elif kind == "compute":
            a, b, rate = rng.randint(20, 2_000), rng.randint(2, 12), rng.randint(1, 25)
            expression = f"{a} * {b} * (1 + {rate}/100)"
            found.append(SubTask(kind=kind, inputs={"expression": expression}))
        else:
            subject = (
                f"{rng.choice(theme.words)} {rng.choice(('price', 'date', 'rule', 'contact'))}"
            )
            found.append(SubTask(kind=kind, inputs={"query": f"{theme.name}: {subject}"}))
    return tuple(found)


def _at(rng: random.Random, day: int) -> datetime:
    minutes = rng.randint(7 * 60, 22 * 60)  # awake hours
    return START + timedelta(days=day, minutes=minutes, seconds=rng.randint(0, 59))


def _domain_day(seed: int, theme: Theme, day: int, documents: dict[str, Document]) -> list[Task]:
    rng = random.Random(f"{seed}:{theme.name}:{day}")
    tasks: list[Task] = []
    prefix = f"{theme.name}-{day:02d}"
    for n in range(rng.choice((1, 2, 2, 3, 3, 4))):
        task_id = f"{prefix}-r{n}"
        subtasks = _subtasks(rng, theme, task_id, documents, rng.choice((1, 1, 2, 2, 3, 4)))
        what = ", then ".join(_phrase(s, documents) for s in subtasks)
        tasks.append(
            Task(
                task_id=task_id,
                domain=theme.name,
                day=day,
                at=_at(rng, day),
                source="request",
                text=f"Please {what}, and tell me what matters for {theme.name}.",
                subtasks=subtasks,
                priority="normal",
            )
        )
    if rng.random() < 0.5:
        task_id = f"{prefix}-t0"
        subtasks = _subtasks(rng, theme, task_id, documents, rng.choice((1, 2)))
        tasks.append(
            Task(
                task_id=task_id,
                domain=theme.name,
                day=day,
                at=_at(rng, day),
                source="timer",
                text=f"{theme.name} review due",
                subtasks=subtasks,
                priority="low",
            )
        )
    for n in range(rng.choice((0, 1, 1, 2))):
        task_id = f"{prefix}-p{n}"
        subtasks = _subtasks(rng, theme, task_id, documents, rng.choice((1, 1, 2)))
        roll = rng.random()
        priority: Priority = "urgent" if roll < 0.04 else "normal" if roll < 0.5 else "low"
        tasks.append(
            Task(
                task_id=task_id,
                domain=theme.name,
                day=day,
                at=_at(rng, day),
                source="percept",
                text=f"new {rng.choice(theme.papers)} arrived for {theme.name}",
                subtasks=subtasks,
                priority=priority,
            )
        )
    return tasks


def _phrase(subtask: SubTask, documents: dict[str, Document]) -> str:
    if subtask.kind in ("read", "summarise"):
        title = documents[subtask.inputs["document_id"]].title
        return f"{'read' if subtask.kind == 'read' else 'summarise'} the {title}"
    if subtask.kind == "compute":
        return f"work out {subtask.inputs['expression']}"
    return f"look up the {subtask.inputs['query'].split(': ', 1)[1]}"


def generate(*, seed: int = 7, domains: int = 3, days: int = 30) -> Workload:
    """A workload of ``days`` days over the first ``domains`` themes, the same for a seed."""
    if not 1 <= domains <= MAX_DOMAINS:
        raise ValueError(f"domains = {domains}: choose 1 to {MAX_DOMAINS}")
    if days < 1:
        raise ValueError(f"days = {days}: choose at least 1")
    themes = THEMES[:domains]
    documents: dict[str, Document] = {}
    tasks = [
        task
        for day in range(days)
        for theme in themes
        for task in _domain_day(seed, theme, day, documents)
    ]
    tasks.sort(key=lambda t: (t.at, t.task_id))
    return Workload(seed=seed, days=days, themes=themes, tasks=tuple(tasks), documents=documents)


__all__ = [
    "MAX_DOMAINS",
    "START",
    "THEMES",
    "Document",
    "SubTask",
    "Task",
    "Theme",
    "Workload",
    "generate",
]
