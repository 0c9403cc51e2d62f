"""``prefrontal demo``: the household's scripted day, and the journal it leaves behind."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
from typer.testing import CliRunner

from prefrontal import (
    Commission,
    Config,
    DecisionEvent,
    Report,
    SqlJournal,
    cost_ledger,
    inbox_entries,
    load_config,
    open_journal,
    replay,
)
from prefrontal.cli import app

ENV: dict[str, str | None] = {"COLUMNS": "200", "PREFRONTAL_CONFIG": None, "FORCE_COLOR": None}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
T = TypeVar("T")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def run_demo(folder: Path) -> str:
    result = CliRunner().invoke(app, ["demo", "--dir", str(folder)], env=ENV)
    assert result.exit_code == 0, result.output
    return ANSI.sub("", result.stdout)


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One run of the demo: its folder and its transcript."""
    folder = tmp_path_factory.mktemp("demo") / "d"
    return folder, run_demo(folder)


@pytest.fixture
def transcript(day: tuple[Path, str]) -> str:
    return day[1]


@pytest.fixture
def config(day: tuple[Path, str]) -> Config:
    return load_config(day[0] / "prefrontal.toml")


@pytest.fixture
def journal(day: tuple[Path, str]) -> Iterator[SqlJournal]:
    opened = open_journal(f"sqlite:///{day[0] / 'household.db'}")
    try:
        yield opened
    finally:
        opened.close()


def of_kind(journal: SqlJournal, kind: str, cls: type[T]) -> list[T]:
    events = [s.event for s in journal.read(kinds=[kind])]
    assert all(isinstance(e, cls) for e in events)
    return events  # type: ignore[return-value]


# -- the transcript --------------------------------------------------------------------------


def test_demo_writes_its_config_and_journal(day: tuple[Path, str]) -> None:
    folder, _ = day
    assert (folder / "prefrontal.toml").is_file()
    assert (folder / "household.db").is_file()


def test_transcript_shows_routing_commissions_reports_and_replies(transcript: str) -> None:
    assert "→ home (rules: matched ['heating'])" in transcript
    assert "→ health (rules: matched ['steps'])" in transcript
    assert "→ money (rules: matched ['spent'])" in transcript
    assert "→ home (address: addressed @home)" in transcript
    assert "commission home-2-0 → thermostat {'room': 'living room', 'celsius': 21.0}" in transcript
    assert "report home-2-0 from thermostat:" in transcript
    assert "inbox reply (normal, interrupt): 'The living room is set to 21.0 °C.'" in transcript
    assert "'Logged 3 expenses, 61.49 in total.'" in transcript
    assert "'Steps: mean 5986, median 6100, best 8000; trending up 604/day.'" in transcript
    assert len(re.findall(r"#\d+\s+commission ", transcript)) >= 8
    assert len(re.findall(r"#\d+\s+report ", transcript)) >= 8


def test_transcript_shows_an_escalation_approved_then_paid(transcript: str) -> None:
    asked = re.search(
        r"inbox escalation \(urgent, interrupt\): 'Pay 84.20 for the electricity bill\?'",
        transcript,
    )
    assert asked is not None
    approved = re.search(r"10:10 Alex approves (i-money-\d+-\d+)", transcript)
    assert approved is not None
    assert f"principal approved {approved[1]}" in transcript
    paid = transcript.index("pay_bill {'payee': 'electricity', 'amount': '84.20'}")
    assert paid > transcript.index(f"principal approved {approved[1]}")
    # the payment service's answer is tainted: the reply carries handles, not its text
    assert '"Paid 84.20 to ⟦#' in transcript
    assert "from worker 'pay_bill', untrusted⟧" in transcript


def test_transcript_shows_the_budget_guard_refusing_a_payment(transcript: str) -> None:
    assert "guard budget: commissioning 'pay_bill' (up to $0.2500) would exceed" in transcript
    assert "$0.5000 spent or reserved of $0.60 today" in transcript
    assert re.search(r"11:35 Alex denies i-money-\d+-\d+", transcript)
    assert "'Understood: nothing was paid.'" in transcript
    assert "pay_bill {'payee': 'internet'" not in transcript


def test_transcript_shows_a_routing_question_answered(transcript: str) -> None:
    question = (
        'inbox question (normal, interrupt): "Which domain should handle '
        "'turn off the lights and call the dentist'? (several domains match"
    )
    assert question in transcript
    routed = re.search(r"15:05 Alex routes (q-(r-[0-9a-f]+)) → health", transcript)
    assert routed is not None
    assert f"request {routed[2]} → health (principal: the principal chose it)" in transcript


def test_transcript_shows_timers_firing_at_their_own_time(transcript: str) -> None:
    assert re.search(r"^12:00 #\d+\s+timer 'dose' set for 2026-01-05 13:00$", transcript, re.M)
    assert re.search(r"^13:00 #\d+\s+timer 'dose' fired$", transcript, re.M)
    assert re.search(r"^13:00 #\d+\s+commission health-\d+-0 → send_text", transcript, re.M)
    assert 'inbox reply (urgent, interrupt): "Reminder sent: ⟦#' in transcript
    assert re.search(
        r"^18:00 #\d+\s+timer 'lights off' set for 2026-01-05 22:00$", transcript, re.M
    )
    assert re.search(r"^22:00 #\d+\s+timer 'lights off' fired$", transcript, re.M)
    assert re.search(
        r"^22:00 #\d+\s+commission home-\d+-0 → lights \{'room': 'all', 'on': False\}",
        transcript,
        re.M,
    )


def test_transcript_summary_agrees_with_the_journal(
    transcript: str, config: Config, journal: SqlJournal
) -> None:
    entries = inbox_entries(journal)
    interrupts = sum(1 for e in entries if e.item.delivery == "interrupt")
    pending = sum(1 for e in entries if e.pending)
    assert f"Journal: {journal.last_seq()} events." in transcript
    assert (
        f"Inbox: {len(entries)} items, {interrupts} interruptions (budget "
        f"{config.principal.interruptions_per_day}/day plus urgent), "
        f"{len(entries) - interrupts} in the digest, {pending} pending."
    ) in transcript
    assert f"Cost: {cost_ledger(journal).total.money} (priced tools; no model calls)." in transcript
    assert re.search(r"Replay: \d+ rule decisions made again: identical\.", transcript)


# -- the journal it leaves -------------------------------------------------------------------


def test_every_commission_has_exactly_one_report(journal: SqlJournal) -> None:
    commissions = of_kind(journal, "commission", Commission)
    reports = Counter(r.commission_id for r in of_kind(journal, "report", Report))
    assert len(commissions) >= 8
    assert {c.commission_id: reports[c.commission_id] for c in commissions} == {
        c.commission_id: 1 for c in commissions
    }
    assert set(reports) == {c.commission_id for c in commissions}, "a report without commission"
    assert journal.open_commissions() == []


def test_nothing_is_left_pending_and_the_journal_verifies(
    journal: SqlJournal, config: Config
) -> None:
    for domain in config.domains:
        assert journal.pending(domain) == [], f"{domain} has undecided inbound events"
    assert journal.unrouted() == []
    assert journal.next_timer() is None, "a timer was left unfired"
    assert journal.verify() == []


def test_the_day_used_three_domains_and_at_least_seven_workers(journal: SqlJournal) -> None:
    workers = {c.worker for c in of_kind(journal, "commission", Commission)}
    domains = {d.domain for d in of_kind(journal, "decision", DecisionEvent)}
    assert len(workers) >= 7, workers
    assert domains == {"home", "health", "money"}
    assert all(r.status == "ok" for r in of_kind(journal, "report", Report))


@pytest.mark.anyio
async def test_replay_makes_every_rule_decision_again_identically(
    journal: SqlJournal, config: Config
) -> None:
    report = await replay(config, journal)
    assert report.mismatches == []
    assert report.ok
    decisions = of_kind(journal, "decision", DecisionEvent)
    by_domain = Counter(d.domain for d in decisions)
    assert {n: s.decisions for n, s in report.domains.items()} == dict(by_domain)
    # every decision a rule policy made is asked again; the principal's own are not
    rule_made = sum(1 for d in decisions if d.policy != "principal")
    assert sum(s.checked for s in report.domains.values()) == rule_made > 20
    assert all(s.open_commissions == 0 for s in report.domains.values())


def test_cost_is_exactly_the_priced_tool_calls(journal: SqlJournal, config: Config) -> None:
    calls = Counter(r.worker for r in of_kind(journal, "report", Report))
    priced = {name: w.cost_usd for name, w in config.workers.items() if getattr(w, "cost_usd", 0)}
    assert set(priced) == {"send_text", "pay_bill"}
    assert (calls["send_text"], calls["pay_bill"]) == (1, 2)
    expected = sum(
        (Decimal(str(price)) * calls[name] for name, price in priced.items()), Decimal(0)
    )
    ledger = cost_ledger(journal)
    assert ledger.total.cost_usd == expected
    assert ledger.total.unpriced == 0
    assert ledger.total.requests == calls["send_text"] + calls["pay_bill"]
    by_worker = ledger.by("worker")
    for name, price in priced.items():
        assert by_worker[name].cost_usd == Decimal(str(price)) * calls[name]


def test_interruptions_stay_within_the_attention_budget(
    journal: SqlJournal, config: Config
) -> None:
    entries = inbox_entries(journal)
    days = {e.item.at.date() for e in entries}
    assert len(days) == 1, "the scripted day spans one day"
    interrupts = [e.item for e in entries if e.item.delivery == "interrupt"]
    urgent = sum(1 for e in entries if e.item.priority == "urgent")
    questions = sum(1 for e in entries if e.item.item == "question")
    budget = config.principal.interruptions_per_day
    assert urgent >= 1
    assert questions >= 1
    assert len(interrupts) <= budget + urgent + questions
    ordinary = [i for i in interrupts if i.priority != "urgent" and i.item != "question"]
    assert len(ordinary) <= budget
    assert all(e.item.delivery == "digest" for e in entries if e.item.priority == "low")


def test_running_the_demo_twice_starts_afresh(tmp_path: Path) -> None:
    folder = tmp_path / "again"
    counts: list[int] = []
    requests: list[set[str]] = []
    for _ in range(2):
        run_demo(folder)
        journal = open_journal(f"sqlite:///{folder / 'household.db'}")
        try:
            counts.append(journal.last_seq())
            requests.append({s.event.request_id for s in journal.read(kinds=["request"])})  # type: ignore[union-attr]
            assert journal.verify() == []
        finally:
            journal.close()
    assert counts[0] == counts[1] > 0
    assert len(requests[0]) == len(requests[1]) > 0
    assert requests[0].isdisjoint(requests[1]), "the second run kept the first run's events"
