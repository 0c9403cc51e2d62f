"""The sense host: percepts journaled per domain, storms aggregated, crashes survived,
attention applied, evidence kept for drill-down."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from prefrontal import Config, DecisionEvent, InboxItem, Percept, inbox_entries, open_system
from prefrontal.journal import Journal
from prefrontal.senses.base import Observation
from prefrontal.senses.evidence import EvidenceGoneError, EvidenceStore
from prefrontal.testing import MemoryJournal, SyntheticSense

pytestmark = pytest.mark.anyio

CONFIG = """
[senses.eye]
kind = "telemetry"
source = "unused.csv"

[workers.relisten]
kind = "tool"
function = "prefrontal.senses.hearing.drill:relisten"

[domains.home]
charter = "the house"
policy = "host_mod:home"
senses = ["eye"]
workers = ["relisten"]

[domains.garden]
charter = "the garden"
policy = "host_mod:garden"
senses = ["eye"]
"""

MODULE = """
from prefrontal import *

def home(state, event):
    if isinstance(event, Percept) and event.name == "ping" and event.fields.get("attend"):
        return Decision.of(AttendAction(sense="eye", settings={"min_confidence": 0.5}))
    if isinstance(event, Percept) and event.name == "voice" and event.evidence:
        return Decision.of(CommissionAction(worker="relisten", inputs={"evidence": event.evidence}))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=str(event.output)))
    if isinstance(event, Percept) and event.name.startswith("sense."):
        return Decision.of(EscalateAction(text=event.rendering))
    return Decision.of()

def garden(state, event):
    if isinstance(event, Percept) and event.name == "ping" and event.fields.get("attend"):
        return Decision.of(AttendAction(sense="ears", settings={}))
    return Decision.of()
"""


def ping(t: float, confidence: float = 0.9, **fields: object) -> Observation:
    return Observation(
        name="ping", rendering=f"ping at {t}", confidence=confidence, span=(t, t + 0.1),
        fields=fields, raw_bytes=16_000,
    )  # fmt: skip


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(CONFIG, host_mod=MODULE)


def _percepts(journal: Journal, domain: str) -> list[Percept]:
    return [
        s.event
        for s in journal.read(kinds=["percept"], domain=domain)
        if isinstance(s.event, Percept)
    ]


async def _run(config: Config, sense: SyntheticSense) -> Journal:
    journal = MemoryJournal()
    async with open_system(config, journal=journal, senses={"eye": sense}) as system:
        await system.run_until_idle()
    assert journal.verify() == []
    assert journal.pending("home") == []
    return journal


async def test_each_subscribed_domain_gets_each_percept_with_its_compression(
    config: Config,
) -> None:
    journal = await _run(config, SyntheticSense("eye", [ping(1.0), ping(20.0)]))
    home, garden = _percepts(journal, "home"), _percepts(journal, "garden")
    assert [p.span for p in home] == [p.span for p in garden] == [(1.0, 1.1), (20.0, 20.1)]
    first = home[0]
    assert (first.sense, first.sense_version, first.rendering) == (
        "eye",
        "synthetic-1",
        "ping at 1.0",
    )
    size = len(first.model_dump_json().encode())
    assert first.compression == pytest.approx(16_000 / size, rel=0.05)
    assert first.compression > 10


async def test_a_percept_storm_is_aggregated(config: Config) -> None:
    storm = [ping(t / 10) for t in range(50)]  # 50 pings in 5 s
    journal = await _run(config, SyntheticSense("eye", storm))
    home = _percepts(journal, "home")
    assert len(home) == 4  # three pass, the other 47 become one aggregate
    assert home[-1].fields["aggregated"] == 47
    assert home[-1].rendering.startswith("47 more like this in ")
    assert len(journal.read(kinds=["decision"], domain="home")) == 4


async def test_a_crashing_sense_is_restarted_and_the_failure_reported(config: Config) -> None:
    sense = SyntheticSense("eye", [ping(1.0), ping(20.0), ping(40.0)], fail_at=1)
    journal = await _run(config, sense)
    names = [p.name for p in _percepts(journal, "home")]
    assert names == ["ping", "sense.failure", "ping", "ping"]
    failure = _percepts(journal, "home")[1]
    assert "synthetic failure at observation 1; restarted (1 of 3)" in failure.rendering
    # the failure quotes an exception: tainted, so the item carries a handle the inbox resolves
    items = [s.event for s in journal.read(kinds=["inbox"]) if isinstance(s.event, InboxItem)]
    assert not any("synthetic failure" in i.text for i in items)
    assert any("synthetic failure" in e.text for e in inbox_entries(journal))


async def test_attention_changes_what_the_sense_reports(config: Config) -> None:
    script = [ping(1.0, attend=True), ping(30.0, confidence=0.3), ping(60.0, confidence=0.8)]
    sense = SyntheticSense("eye", script, pace_s=0.3)
    journal = await _run(config, sense)
    assert sense.attended == [{"min_confidence": 0.5}]
    home = _percepts(journal, "home")
    assert [p.name for p in home][-1] == "ping"
    assert "sense.attention" in [p.name for p in home]
    spans = [p.span[0] for p in home if p.name == "ping"]
    assert 30.0 not in spans  # filtered after the attention request


async def test_a_domain_cannot_direct_a_sense_it_does_not_subscribe_to(config: Config) -> None:
    journal = await _run(config, SyntheticSense("eye", [ping(1.0, attend=True)]))
    trips = [
        t.guard
        for s in journal.read(kinds=["decision"], domain="garden")
        if isinstance(s.event, DecisionEvent)
        for t in s.event.trips
    ]
    assert trips == ["undeclared sense"]


def _stereo_window(rate: int, tau_s: float) -> np.ndarray:
    from prefrontal.senses.sources.scene import Placed, render, voiced

    azimuth = -np.degrees(np.arcsin(tau_s * 343.0 / 0.18))
    stereo, _ = render([Placed("speech", 0.1, float(azimuth), voiced(rate, 1.0))],
                       rate=rate, duration_s=1.3, snr_db=30.0)  # fmt: skip
    return stereo


async def test_drill_down_re_analyses_stored_evidence(config: Config) -> None:
    journal = MemoryJournal()
    store = EvidenceStore(config.base_dir / "evidence")
    ref = store.put("eye", _stereo_window(16_000, 300e-6), 16_000, {"spacing_m": 0.18})
    voice = Observation(name="voice", rendering="a voice", confidence=0.9, span=(0.0, 1.3),
                        evidence=ref)  # fmt: skip
    async with open_system(
        config, journal=journal, senses={"eye": SyntheticSense("eye", [voice])}
    ) as system:
        await system.run_until_idle()
    [report] = [s.event for s in journal.read(kinds=["report"])]
    assert report.status == "ok", report  # type: ignore[union-attr]
    output = report.output  # type: ignore[union-attr]
    assert output["side"] == "left"
    assert output["itd_us"] == pytest.approx(300.0, abs=10.0)


def test_the_evidence_store_is_bounded_by_age_and_size(tmp_path: Path) -> None:
    now = [1000.0]
    store = EvidenceStore(tmp_path, max_age_s=60.0, max_bytes=200_000, clock=lambda: now[0])
    first = store.put("ears", np.zeros((16_000, 2)), 16_000)
    assert store.get(first).samples.shape == (16_000, 2)
    now[0] += 61.0
    second = store.put("ears", np.zeros((1_000, 2)), 16_000)
    with pytest.raises(EvidenceGoneError, match="is no longer kept"):
        store.get(first)
    assert store.get(second).rate == 16_000
    for _ in range(5):
        store.put("ears", np.ones((16_000, 2)), 16_000)
    assert store.size() <= 200_000
    with pytest.raises(EvidenceGoneError, match="malformed"):
        store.get("../../etc/passwd")


async def test_a_restarted_system_does_not_hear_the_same_stream_twice(
    config: Config, tmp_path: Path
) -> None:
    from prefrontal import open_journal

    url = f"sqlite:///{tmp_path / 'resume.db'}"
    script = [ping(1.0), ping(20.0), ping(40.0)]
    for _ in range(2):
        journal = open_journal(url)
        async with open_system(
            config, journal=journal, senses={"eye": SyntheticSense("eye", script)}
        ) as system:
            await system.run_until_idle()
        journal.close()
    journal = open_journal(url)
    assert [p.span[0] for p in _percepts(journal, "home")] == [1.0, 20.0, 40.0]
    journal.close()
