"""The telemetry sense in a running system: the boiler's drift becomes a percept, bad
readings are flagged and the stream keeps going."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from prefrontal import Config, Percept, open_system
from prefrontal.examples.household.scene import telemetry
from prefrontal.senses.telemetry.sense import TelemetrySense
from prefrontal.senses.telemetry.sources import read_csv
from prefrontal.testing import MemoryJournal

pytestmark = pytest.mark.anyio

CONFIG = """
[senses.boiler]
kind = "telemetry"
source = "boiler.csv"

[domains.home]
charter = "the house"
policy = "tele_mod:home"
senses = ["boiler"]
"""

MODULE = """
from prefrontal import Decision
def home(state, event):
    return Decision.of()
"""


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(CONFIG, tele_mod=MODULE)


def _percepts(journal: MemoryJournal) -> list[Percept]:
    return [s.event for s in journal.read(kinds=["percept"]) if isinstance(s.event, Percept)]


async def test_the_boiler_drift_is_detected_within_a_bounded_delay(config: Config) -> None:
    generated = telemetry("boiler")
    [drift] = generated.events
    journal = MemoryJournal()
    sense = TelemetrySense("boiler", generated.samples)
    async with open_system(config, journal=journal, senses={"boiler": sense}) as system:
        await system.run_until_idle()
    found = [p for p in _percepts(journal) if p.name in ("telemetry.change", "telemetry.anomaly")]
    assert found, "the drift was not reported"
    first = found[0]
    delay = first.span[1] - drift.t
    assert 0 <= delay <= 600, f"reported {delay:.0f} s after the drift began"
    assert first.fields["channel"] == "boiler_temp"
    assert first.fields["value"] > first.fields["baseline"]
    assert all(p.span[1] >= drift.t for p in found), "a false alarm before the drift"
    assert first.compression > 10  # thousands of readings behind one percept


async def test_bad_readings_are_flagged_and_the_stream_keeps_going(
    config: Config, tmp_path: Path
) -> None:
    rows = ["t,channel,value"] + [f"{t},boiler_temp,64.{t % 7}" for t in range(0, 120)]
    rows[50] = "49.5,boiler_temp,nan"
    rows[60] = "20,boiler_temp,64.0"  # time going backwards
    rows[70] = "not,a,row,at,all"
    rows.append("200,boiler_temp,99.0")
    rows += [f"{t},boiler_temp,64.{t % 7}" for t in range(201, 230)]
    path = tmp_path / "boiler.csv"
    path.write_text("\n".join(rows) + "\n")
    journal = MemoryJournal()
    sense = TelemetrySense("boiler", read_csv(path))
    async with open_system(config, journal=journal, senses={"boiler": sense}) as system:
        await system.run_until_idle()
    percepts = _percepts(journal)
    flagged = [p for p in percepts if p.name == "telemetry.flagged"]
    assert len(flagged) == 3
    # the rendering is built from closed parts; the cell's detail is a (tainted) field
    assert {p.rendering for p in flagged} == {"a bad reading was skipped"}
    assert any("nan" in p.fields["detail"].lower() for p in flagged)
    assert any("backwards" in p.fields["detail"].lower() for p in flagged)
    assert all("fields.detail" in (p.provenance.tainted if p.provenance else ()) for p in flagged)
    spikes = [p for p in percepts if p.name == "telemetry.anomaly"]
    assert [p.fields["value"] for p in spikes] == [99.0]
    assert journal.pending("home") == []
