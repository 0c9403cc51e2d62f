"""Telemetry detection and sources: spikes, level shifts, drifts, quiet signals, bad input,
the CSV and JSON-lines readers, and top-down attention.

All data is generated in the test with fixed seeds (σ = 0.5 of noise, a benign wander of the
same size, 10 Hz). Delay bounds are the measured maxima over 10 seeds, with headroom, after
30 min of warm-up: a 3σ shift was found in 11-21 s (bound 30 s), a 10σ step in 1 s, a 2σ
shift in 21-50 s in 9 of 10 seeds (the tenth hides in the wander), a 5σ drift over 10 min in
147-411 s (bound 450 s); 2 h of 4 quiet channels gave no finding.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from prefrontal.errors import UsageError
from prefrontal.senses.telemetry.detect import (
    ChannelMonitor,
    Finding,
    MonitorSettings,
    TelemetryDetector,
)
from prefrontal.senses.telemetry.sources import (
    ChannelSpec,
    Drift,
    Flagged,
    LevelShift,
    Sample,
    Spike,
    generate,
    read_csv,
    read_jsonl,
)
from prefrontal.testing import load_script

ROOT = Path(__file__).resolve().parents[2]
SEEDS = range(10)


def findings_of(samples: list[Sample], detector: TelemetryDetector | None = None) -> list[Finding]:
    return list((detector or TelemetryDetector()).run(samples))


def first_change_delay(event: LevelShift | Drift, duration_s: float, seed: int) -> float:
    generated = generate([event.channel], 10.0, duration_s, seed, [event])
    findings = [f for f in findings_of(list(generated.samples)) if f.kind != "flagged"]
    snapped = generated.events[0].t
    assert [f for f in findings if f.t < snapped] == [], "a finding before the event"
    changes = [f for f in findings if f.kind == "change"]
    assert changes, f"seed {seed}: {event} was never found"
    return changes[0].t - snapped


# -- spikes ----------------------------------------------------------------------------------


def test_a_spike_is_found_at_its_sample_with_its_value_and_baseline() -> None:
    spec = ChannelSpec(name="boiler_temp", base=64.0, wander=0.0)
    spike = Spike(channel="boiler_temp", t=300.0, magnitude=6.0)  # 12σ
    generated = generate([spec], 10.0, 600.0, 1, [spike])

    findings = findings_of(list(generated.samples))

    assert [f.kind for f in findings] == ["anomaly"]
    found = findings[0]
    at = next(s for s in generated.samples if s.t == 300.0)
    assert (found.channel, found.t, found.since, found.value) == (
        "boiler_temp",
        300.0,
        300.0,
        at.value,
    )
    assert found.baseline == pytest.approx(64.0, abs=0.3)
    assert found.value - found.baseline == pytest.approx(6.0, abs=1.5)
    assert found.confidence > 0.99
    assert found.detail.startswith("boiler_temp ")
    assert found.detail.endswith(": spike")


def test_spikes_of_10_sigma_either_way_are_all_found_at_their_samples() -> None:
    spikes = [
        Spike(channel="flow", t=120.0 + 97.3 * i, magnitude=5.0 * (-1) ** i) for i in range(30)
    ]
    generated = generate(["flow"], 10.0, 3_200.0, 3, spikes)

    findings = findings_of(list(generated.samples))

    assert sorted(f.since for f in findings) == [s.t for s in generated.events]
    assert {f.kind for f in findings} == {"anomaly"}


# -- changes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("sigmas", "bound_s"), [(3.0, 30.0), (10.0, 1.5)])
def test_a_level_shift_is_found_within_a_bounded_delay(sigmas: float, bound_s: float) -> None:
    delays = [
        first_change_delay(
            LevelShift(channel="flow", t=1_800.0, magnitude=(-1) ** seed * sigmas * 0.5),
            2_400.0,
            seed,
        )
        for seed in SEEDS
    ]
    assert max(delays) <= bound_s, delays


def test_a_2_sigma_shift_within_the_benign_wander_is_mostly_found_within_a_minute() -> None:
    delays = []
    for seed in SEEDS:
        shift = LevelShift(channel="flow", t=1_800.0, magnitude=(-1) ** seed * 1.0)
        generated = generate(["flow"], 10.0, 2_400.0, seed, [shift])
        findings = findings_of(list(generated.samples))
        assert [f for f in findings if f.t < 1_800.0] == []
        delays += [f.t - 1_800.0 for f in findings if f.kind == "change"][:1]
    assert len(delays) >= 9
    assert max(delays) <= 60.0, delays


def test_a_level_shift_reports_the_new_level_and_the_old_one() -> None:
    spec = ChannelSpec(name="pressure", base=2.0, noise=0.05, wander=0.0)
    generated = generate(
        [spec], 10.0, 1_800.0, 4, [LevelShift(channel="pressure", t=1_200.0, magnitude=0.15)]
    )

    changes = [f for f in findings_of(list(generated.samples)) if f.kind == "change"]

    assert len(changes) == 1
    change = changes[0]
    assert (change.baseline, change.value) == (
        pytest.approx(2.0, abs=0.02),
        pytest.approx(2.15, abs=0.02),
    )
    assert change.since == pytest.approx(1_200.0, abs=3.0)
    assert "level shift since t=" in change.detail
    assert change.confidence > 0.99


def test_a_large_step_is_a_change_within_one_second() -> None:
    generated = generate(
        ["valve"], 10.0, 900.0, 5, [LevelShift(channel="valve", t=600.0, magnitude=5.0)]
    )

    findings = findings_of(list(generated.samples))

    assert [f.kind for f in findings] == ["anomaly", "change"]
    assert findings[0].t == 600.0
    assert findings[1].t - 600.0 <= 1.0
    assert "level shift, every sample for 1 s was an outlier" in findings[1].detail


def test_a_slow_drift_is_found_while_it_ramps() -> None:
    delays = []
    shapes = []
    for seed in SEEDS:
        drift = Drift(channel="flow", t=1_800.0, magnitude=(-1) ** seed * 2.5, duration_s=600.0)
        delays.append(first_change_delay(drift, 3_000.0, seed))
        generated = generate(["flow"], 10.0, 3_000.0, seed, [drift])
        change = next(f for f in findings_of(list(generated.samples)) if f.kind == "change")
        assert math.copysign(1.0, change.value - change.baseline) == (-1) ** seed
        shapes.append("drift of" in change.detail)
    assert max(delays) <= 450.0, delays
    assert sum(shapes) >= 8, "most drifts should be told apart from steps"


def test_two_quiet_hours_give_no_finding() -> None:
    channels = [
        ChannelSpec(name="boiler_temp", base=64.0),
        ChannelSpec(name="flow", base=12.0, daily=5.0),
        ChannelSpec(name="pressure", base=2.0, noise=0.05, wander=0.05),
        ChannelSpec(name="humidity", base=45.0, noise_tau_s=3.0),
    ]
    generated = generate(channels, 10.0, 7_200.0, 11)

    assert findings_of(list(generated.samples)) == []


def test_the_same_samples_give_the_same_findings() -> None:
    events = [
        Spike(channel="a", t=100.0, magnitude=5.0),
        LevelShift(channel="b", t=300.0, magnitude=1.5),
    ]
    first = generate(["a", "b"], 10.0, 600.0, 2, events)
    second = generate(["a", "b"], 10.0, 600.0, 2, events)

    assert first.samples == second.samples
    assert findings_of(list(first.samples)) == findings_of(list(second.samples))
    assert len(findings_of(list(first.samples))) >= 2


# -- bad input -------------------------------------------------------------------------------


def test_nan_inf_and_backwards_time_are_flagged_and_detection_goes_on() -> None:
    generated = generate(
        ["boiler_temp"], 10.0, 300.0, 6, [Spike(channel="boiler_temp", t=250.0, magnitude=6.0)]
    )
    samples = list(generated.samples)
    head, tail = samples[:1_200], samples[1_200:]  # 120 s: warm
    detector = TelemetryDetector()
    assert findings_of(head, detector) == []
    monitor = detector.monitors["boiler_temp"]
    state = (monitor.level, monitor.scale, monitor.baseline, monitor.count, monitor.last_t)
    bad = [
        Sample(t=120.0, channel="boiler_temp", value=math.nan),
        Sample(t=120.0, channel="boiler_temp", value=math.inf),
        Sample(t=120.0, channel="boiler_temp", value=-math.inf),
        Sample(t=50.0, channel="boiler_temp", value=64.0),
    ]

    flagged = [finding for sample in bad for finding in detector.update(sample)]

    assert [f.kind for f in flagged] == ["flagged"] * 4
    assert flagged[0].detail == (
        "channel 'boiler_temp': value nan at t=120.0 is not finite; "
        "expected a finite number, sample ignored"
    )
    assert "value inf at t=120.0 is not finite" in flagged[1].detail
    assert "value -inf at t=120.0 is not finite" in flagged[2].detail
    assert flagged[3].detail == (
        "channel 'boiler_temp': t=50.0 is before the previous sample at t=119.9; "
        "expected timestamps that never go backwards, sample ignored"
    )
    assert flagged[3].value == 64.0
    assert flagged[0].baseline == pytest.approx(monitor.level)
    assert (monitor.level, monitor.scale, monitor.baseline, monitor.count, monitor.last_t) == state

    after = findings_of(tail, detector)

    assert [(f.kind, f.t) for f in after] == [("anomaly", 250.0)]


def test_unknown_channels_get_a_monitor_on_first_sight_up_to_a_limit() -> None:
    detector = TelemetryDetector(max_channels=2)
    assert detector.update(Sample(t=0.0, channel="a", value=1.0)) == []
    assert detector.update(Sample(t=0.0, channel="b", value=1.0)) == []

    [flagged] = detector.update(Sample(t=0.0, channel="c", value=1.0))

    assert sorted(detector.monitors) == ["a", "b"]
    assert flagged.kind == "flagged"
    assert flagged.detail == (
        "channel 'c': a new channel beyond max_channels=2; expected one of the channels seen "
        "so far, sample ignored"
    )


def test_a_flagged_record_from_a_source_becomes_a_flagged_finding() -> None:
    record = Flagged(
        t=None, channel=None, raw="x,y", reason="line 3: 2 columns; expected 3", line=3
    )

    [finding] = TelemetryDetector().update(record)

    assert (finding.kind, finding.channel, finding.detail) == ("flagged", "", record.reason)
    assert math.isnan(finding.t)


# -- readers ---------------------------------------------------------------------------------


def reasons(records: list[Sample | Flagged]) -> list[str]:
    return [r.reason if isinstance(r, Flagged) else f"{r.t} {r.channel} {r.value}" for r in records]


def test_read_csv_long_layout_flags_bad_rows_and_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(
        "t,channel,value\n"
        "0.0,boiler_temp,64.0\n"
        "0.1,boiler_temp,abc\n"
        "0.2,boiler_temp\n"
        "\n"
        "oops,boiler_temp,64.1\n"
        "0.3,boiler_temp,nan\n"
        "0.4,,64.2\n"
        "0.5,flow,inf\n"
        "-0.5,boiler_temp,64.3\n"
        "0.6,boiler_temp,64.4\n",
        encoding="utf-8",
    )

    assert reasons(list(read_csv(path))) == [
        "0.0 boiler_temp 64.0",
        "line 3: value 'abc' of channel 'boiler_temp' is not a number",
        "line 4: 2 columns; expected 3 as in the header",
        "line 6: t 'oops' is not a finite number of seconds",
        "line 7: value nan of channel 'boiler_temp' at t=0.3; expected a finite number",
        "line 8: empty channel name; expected a name such as 'boiler_temp'",
        "line 9: value inf of channel 'flow' at t=0.5; expected a finite number",
        "line 10: t=-0.5 of channel 'boiler_temp' is before its previous sample at t=0.0; "
        "expected timestamps that never go backwards",
        "0.6 boiler_temp 64.4",
    ]


def test_read_csv_wide_layout_yields_a_sample_per_cell(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(
        "t,boiler_temp,flow\n"
        "0.0,64.0,12.0\n"
        "0.1,,12.1\n"
        "0.2,64.2,x\n"
        "bad,64.3,12.3\n"
        "0.4,64.4\n"
        "0.1,64.5,12.5\n",
        encoding="utf-8",
    )

    records = list(read_csv(path))

    assert reasons(records) == [
        "0.0 boiler_temp 64.0",
        "0.0 flow 12.0",
        "0.1 flow 12.1",
        "0.2 boiler_temp 64.2",
        "line 4: value 'x' of channel 'flow' is not a number",
        "line 5: t 'bad' is not a finite number of seconds",
        "line 6: 2 columns; expected 3 as in the header",
        "line 7: t=0.1 of channel 'boiler_temp' is before its previous sample at t=0.2; "
        "expected timestamps that never go backwards",
        "0.1 flow 12.5",  # flow's last good sample was at 0.1: not backwards
    ]
    flagged = [r for r in records if isinstance(r, Flagged)]
    assert [(f.line, f.channel, f.raw) for f in flagged[:2]] == [
        (4, "flow", "0.2,64.2,x"),
        (5, None, "bad,64.3,12.3"),
    ]


def test_read_jsonl_flags_bad_lines_and_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "samples.jsonl"
    lines = [
        '{"t": 0.0, "channel": "boiler_temp", "value": 64.0, "unit": "C"}',
        "{not json",
        "[1, 2]",
        '{"t": 0.1, "channel": "boiler_temp"}',
        '{"t": 0.2, "channel": "boiler_temp", "value": "64.2"}',
        '{"t": 0.3, "channel": "boiler_temp", "value": NaN}',
        "",
        '{"t": null, "channel": "boiler_temp", "value": 64.4}',
        '{"t": 0.5, "channel": 7, "value": 64.5}',
        '{"t": 0.6, "channel": "boiler_temp", "value": 64.6}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert reasons(list(read_jsonl(path))) == [
        "0.0 boiler_temp 64.0",
        "line 2: not JSON (Expecting property name enclosed in double quotes); "
        'expected {"t": <seconds>, "channel": <name>, "value": <number>}',
        'line 3: a JSON list; expected {"t": <seconds>, "channel": <name>, "value": <number>}',
        "line 4: value None of channel 'boiler_temp' is not a number",
        "line 5: value '64.2' of channel 'boiler_temp' is not a number",
        "line 6: value nan of channel 'boiler_temp' at t=0.3; expected a finite number",
        "line 8: t None is not a finite number of seconds",
        "line 9: channel 7 is not a name; "
        'expected {"t": <seconds>, "channel": <name>, "value": <number>}',
        "0.6 boiler_temp 64.6",
    ]


def test_undecodable_bytes_and_oversized_fields_are_flagged_not_fatal(tmp_path: Path) -> None:
    csv_path, jsonl_path = tmp_path / "odd.csv", tmp_path / "odd.jsonl"
    csv_path.write_bytes(
        b"t,channel,value\n0,flow,1\n1,flow,\xff\xfe\n2,flow," + b"9" * 200_000 + b"\n3,flow,4\n"
    )
    jsonl_path.write_bytes(b'\xff\n{"t": 1, "channel": "flow", "value": 2}\n')

    assert reasons(list(read_csv(csv_path))) == [
        "0.0 flow 1.0",
        "line 3: value '\ufffd\ufffd' of channel 'flow' is not a number",
        "line 4: not a CSV row (field larger than field limit (131072))",
        "3.0 flow 4.0",
    ]
    records = list(read_jsonl(jsonl_path))
    assert isinstance(records[0], Flagged)
    assert records[0].reason.startswith("line 1: not JSON")
    assert records[1] == Sample(t=1.0, channel="flow", value=2.0)


def test_generated_samples_survive_every_file_layout(tmp_path: Path) -> None:
    generated = generate(["boiler_temp", "flow"], 10.0, 5.0, 8)
    samples = list(generated.samples)
    long, wide, jsonl = tmp_path / "long.csv", tmp_path / "wide.csv", tmp_path / "s.jsonl"
    long.write_text(
        "t,channel,value\n" + "".join(f"{s.t!r},{s.channel},{s.value!r}\n" for s in samples),
        encoding="utf-8",
    )
    rows = [samples[i : i + 2] for i in range(0, len(samples), 2)]
    wide.write_text(
        "t,boiler_temp,flow\n" + "".join(f"{a.t!r},{a.value!r},{b.value!r}\n" for a, b in rows),
        encoding="utf-8",
    )
    jsonl.write_text(
        "".join(
            json.dumps({"t": s.t, "channel": s.channel, "value": s.value}) + "\n" for s in samples
        ),
        encoding="utf-8",
    )

    assert list(read_csv(long)) == samples
    assert list(read_csv(wide)) == samples
    assert list(read_jsonl(jsonl)) == samples


def test_a_missing_file_names_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(FileNotFoundError, match=r"telemetry file not found: '.*nowhere\.csv'"):
        read_csv(missing)
    with pytest.raises(FileNotFoundError) as raised:
        read_jsonl(tmp_path / "nowhere.jsonl")
    assert raised.value.filename == str(tmp_path / "nowhere.jsonl")


def test_a_csv_header_that_fits_no_layout_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("time,value\n0,1\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"header \['time', 'value'\] fits neither layout"):
        read_csv(path)


# -- attention -------------------------------------------------------------------------------


def spiky(seed: int = 9) -> list[Sample]:
    events = [Spike(channel=c, t=t, magnitude=5.0) for c in ("a", "b") for t in (100.0, 200.0)]
    return list(generate(["a", "b"], 10.0, 300.0, seed, events).samples)


def test_attention_chooses_the_channels_reported() -> None:
    samples = spiky()
    everything = findings_of(samples)
    assert sorted({f.channel for f in everything}) == ["a", "b"]

    only_a = findings_of(samples, TelemetryDetector(channels=["a"]))
    assert [f.channel for f in only_a] == ["a", "a"]

    detector = TelemetryDetector()
    early = [f for s in samples if s.t < 150.0 for f in detector.update(s)]
    detector.attend(["b"])
    late = [f for s in samples if s.t >= 150.0 for f in detector.update(s)]
    assert [(f.channel, f.t) for f in early + late] == [("a", 100.0), ("b", 100.0), ("b", 200.0)]


def test_thresholds_change_what_is_reported_from_the_next_sample() -> None:
    samples = spiky()
    detector = TelemetryDetector()
    detector.set_threshold(spike=50.0)
    early = [f for s in samples if s.t < 150.0 for f in detector.update(s)]
    detector.set_threshold(spike=6.0, channel="b")
    late = [f for s in samples if s.t >= 150.0 for f in detector.update(s)]

    assert early == []
    assert [(f.channel, f.t) for f in late] == [("b", 200.0)]
    assert detector.monitors["a"].settings.spike_threshold == 50.0


def test_the_change_threshold_sets_how_much_evidence_a_change_needs() -> None:
    generated = generate(
        ["flow"], 10.0, 1_800.0, 1, [LevelShift(channel="flow", t=1_200.0, magnitude=1.0)]
    )
    samples = list(generated.samples)
    strict = TelemetryDetector()
    strict.set_threshold(change=1_000.0)
    eager = TelemetryDetector(MonitorSettings(change_threshold=20.0))

    assert [f for f in findings_of(samples, strict) if f.kind == "change"] == []
    default = [f.t for f in findings_of(samples) if f.kind == "change"]
    faster = [f.t for f in findings_of(samples, eager) if f.kind == "change"]
    assert default
    assert faster
    assert faster[0] < default[0]


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_a_threshold_must_be_a_positive_number(bad: float) -> None:
    with pytest.raises(
        UsageError, match=rf"set_threshold: spike={bad!r}; expected a finite number > 0"
    ):
        ChannelMonitor("flow").set_threshold(spike=bad)


# -- benchmark -------------------------------------------------------------------------------


def test_the_benchmark_runs_quick_and_reports_every_figure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = load_script(ROOT / "benchmarks" / "telemetry.py")

    figures = module.main(["--quick"])

    out = capsys.readouterr().out
    assert "false alarms/h, quiet channels" in out
    assert "samples/s" in out
    ours = figures["detector"]
    assert ours["false_alarms_per_hour_quiet"] == 0
    assert ours["spike_recall"]["20σ"] == 1.0
    assert all(c["missed"] == 0 for c in ours["changes"].values())
    assert ours["samples_per_s"] > 0
    assert set(figures) >= {"naive_4sigma", "naive_6sigma", "naive_samples_per_s"}
