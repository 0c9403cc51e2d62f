"""Telemetry sources: typed samples from CSV and JSON-lines files, and a seeded generator.

Every reader yields ``Sample`` records in file order and never raises on bad content: a
malformed row, a value that is not a finite number, or a timestamp earlier than the channel's
previous one becomes a ``Flagged`` record whose ``reason`` names the value and the
expectation, and the stream goes on. Only a missing file (``SourceMissingError``, a
``FileNotFoundError`` too), a CSV header that fits neither layout or a CSV with no rows
(``UsageError``) stops a reader, at the call, before the
first record. ``generate`` is a pure function of its arguments: the same seed gives the same
samples and the same ground truth.
"""

from __future__ import annotations

import csv
import json
import math
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
from scipy.signal import lfilter

from prefrontal.errors import SourceMissingError, UsageError

__all__ = [
    "ChannelSpec",
    "Drift",
    "Flagged",
    "Generated",
    "LevelShift",
    "Sample",
    "Spike",
    "TelemetryEvent",
    "generate",
    "read_csv",
    "read_jsonl",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Sample:
    """One reading: ``value`` of ``channel`` at ``t`` seconds."""

    kind: Literal["sample"] = field(default="sample", init=False)
    t: float
    channel: str
    value: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Flagged:
    """A record that could not be a sample; ``reason`` says what was wrong and what was expected.

    ``t`` and ``channel`` are ``None`` where the record did not yield them; ``raw`` is the
    offending text (at most 200 characters); ``line`` is its 1-based line in the file.
    """

    kind: Literal["flagged"] = field(default="flagged", init=False)
    t: float | None
    channel: str | None
    raw: str
    reason: str
    line: int | None = None


Record = Sample | Flagged
MAX_CHANNEL = 64  # a channel name is quoted in every percept about it


def _missing(path: Path, expected: str) -> SourceMissingError:
    error = SourceMissingError(
        f"telemetry file not found: '{path}'; expected {expected}. Fix [senses] source."
    )
    error.filename = str(path)
    return error


def _shown(value: object) -> str:
    """``repr(value)``, cut to 60 characters: a reason quotes the value, not a megabyte of it."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:56]}...{text[-1]}"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


class _Order:
    """Per-channel last timestamp: a sample earlier than its channel's last one is flagged."""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}

    def check(self, t: float, channel: str, value: float, raw: str, line: int) -> Record:
        if len(channel) > MAX_CHANNEL:
            reason = (
                f"channel name {_shown(channel)} is {len(channel):,} characters; expected at "
                f"most {MAX_CHANNEL}"
            )
            return _bad(line, raw, reason, t)
        if not math.isfinite(value):
            reason = f"value {value!r} of channel '{channel}' at t={t}; expected a finite number"
            return _bad(line, raw, reason, t, channel)
        previous = self.last.get(channel)
        if previous is not None and t < previous:
            reason = (
                f"t={t} of channel '{channel}' is before its previous sample at t={previous}; "
                "expected timestamps that never go backwards"
            )
            return _bad(line, raw, reason, t, channel)
        self.last[channel] = t
        return Sample(t=t, channel=channel, value=value)


def _bad(
    line: int, raw: str, reason: str, t: float | None = None, channel: str | None = None
) -> Flagged:
    return Flagged(t=t, channel=channel, raw=raw[:200], reason=f"line {line}: {reason}", line=line)


def read_csv(path: str | Path) -> Iterator[Sample | Flagged]:
    """Samples from a CSV file with a header, in file order.

    Two layouts, told apart by the header: long, ``t,channel,value`` (columns in any order,
    others ignored), one reading a row; and wide, ``t,<channel>,<channel>,...``, one row per
    time with a column per channel (an empty cell means no reading). ``t`` is in seconds.
    """
    path = Path(path)
    expected = "a CSV file with header 't,channel,value' or 't,<channel>,...'"
    if not path.is_file():
        raise _missing(path, expected)
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as file:
        header = [name.strip() for name in next(csv.reader(file), [])]
        if not any(line.strip() for line in file):
            raise UsageError(
                f"telemetry CSV '{path}' has no readings after its header; expected rows of "
                "readings. Point [senses] source at a file with data."
            )
    lowered = [name.lower() for name in header]
    if {"t", "channel", "value"} <= set(lowered):
        columns = (lowered.index("t"), lowered.index("channel"), lowered.index("value"))
        return _read_long(path, len(header), columns)
    if len(header) >= 2 and lowered[0] == "t" and all(header[1:]):
        return _read_wide(path, header[1:])
    raise UsageError(
        f"telemetry CSV '{path}': header {header} fits neither layout; "
        f"expected {expected} (first column 't', every channel column named)"
    )


def _rows(path: Path) -> Iterator[tuple[int, list[str] | str]]:
    """(line, cells) per non-blank row, or (line, why) for a row the csv module refused."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as file:
        reader = csv.reader(file)
        next(reader, None)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:  # an oversized field, say: that row only
                yield reader.line_num, f"not a CSV row ({error})"
                continue
            if any(cell.strip() for cell in row):
                yield reader.line_num, row


def _read_long(path: Path, width: int, columns: tuple[int, int, int]) -> Iterator[Record]:
    order = _Order()
    at_t, at_channel, at_value = columns
    for line, row in _rows(path):
        if isinstance(row, str):
            yield _bad(line, "", row)
            continue
        raw = ",".join(row)
        if len(row) != width:
            yield _bad(line, raw, f"{len(row)} columns; expected {width} as in the header")
            continue
        t, channel, value = _number(row[at_t]), row[at_channel].strip(), _number(row[at_value])
        if t is None or not math.isfinite(t):
            yield _bad(line, raw, f"t {_shown(row[at_t])} is not a finite number of seconds")
        elif not channel:
            yield _bad(line, raw, "empty channel name; expected a name such as 'boiler_temp'", t)
        elif value is None:
            reason = f"value {_shown(row[at_value])} of channel '{channel}' is not a number"
            yield _bad(line, raw, reason, t, channel)
        else:
            yield order.check(t, channel, value, raw, line)


def _read_wide(path: Path, channels: list[str]) -> Iterator[Record]:
    order = _Order()
    for line, row in _rows(path):
        if isinstance(row, str):
            yield _bad(line, "", row)
            continue
        raw = ",".join(row)
        if len(row) != len(channels) + 1:
            expected = len(channels) + 1
            yield _bad(line, raw, f"{len(row)} columns; expected {expected} as in the header")
            continue
        t = _number(row[0])
        if t is None or not math.isfinite(t):
            yield _bad(line, raw, f"t {_shown(row[0])} is not a finite number of seconds")
            continue
        for channel, cell in zip(channels, row[1:], strict=True):
            if not cell.strip():
                continue
            value = _number(cell)
            if value is None:
                reason = f"value {_shown(cell)} of channel '{channel}' is not a number"
                yield _bad(line, raw, reason, t, channel)
            else:
                yield order.check(t, channel, value, raw, line)


def read_jsonl(path: str | Path) -> Iterator[Sample | Flagged]:
    """Samples from a JSON-lines file, one ``{"t": .., "channel": .., "value": ..}`` a line.

    Blank lines are skipped; other keys are ignored; ``t`` and ``value`` must be JSON numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise _missing(path, 'a JSON-lines file of {"t": .., "channel": .., "value": ..}')
    return _read_jsonl(path)


def _read_jsonl(path: Path) -> Iterator[Record]:
    order = _Order()
    with path.open(encoding="utf-8-sig", errors="replace") as file:
        for line, text in enumerate(file, start=1):
            raw = text.strip()
            if raw:
                yield _parse_json_line(raw, line, order)


def _parse_json_line(raw: str, line: int, order: _Order) -> Record:
    expected = 'expected {"t": <seconds>, "channel": <name>, "value": <number>}'
    try:
        item: object = json.loads(raw)
    except json.JSONDecodeError as error:
        return _bad(line, raw, f"not JSON ({error.msg}); {expected}")
    if not isinstance(item, dict):
        return _bad(line, raw, f"a JSON {type(item).__name__}; {expected}")
    fields: dict[str, object] = item
    t, channel, value = _json_number(fields.get("t")), fields.get("channel"), fields.get("value")
    if t is None or not math.isfinite(t):
        return _bad(line, raw, f"t {_shown(fields.get('t'))} is not a finite number of seconds")
    if not isinstance(channel, str) or not channel:
        return _bad(line, raw, f"channel {_shown(channel)} is not a name; {expected}", t)
    number = _json_number(value)
    if number is None:
        return _bad(
            line, raw, f"value {_shown(value)} of channel '{channel}' is not a number", t, channel
        )
    return order.check(t, channel, number, raw, line)


def _json_number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# -- the generator ---------------------------------------------------------------------------

DAY_S = 86_400.0


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelSpec:
    """How one generated channel behaves when nothing happens to it.

    ``noise`` is the standard deviation of the measurement noise, correlated over
    ``noise_tau_s`` (first-order autoregressive, as real sensors are); ``wander`` is the
    standard deviation of a slow benign drift of the level (Ornstein-Uhlenbeck with time
    constant ``wander_tau_s``); ``daily`` the amplitude of a daily cycle (0: none).
    """

    name: str
    base: float = 50.0
    noise: float = 0.5
    noise_tau_s: float = 0.5
    wander: float = 0.5
    wander_tau_s: float = 3_600.0
    daily: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Spike:
    """``magnitude`` added to ``channel`` for ``width_s`` seconds (0: one sample) from ``t``."""

    kind: Literal["spike"] = field(default="spike", init=False)
    channel: str
    t: float
    magnitude: float
    width_s: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class LevelShift:
    """The level of ``channel`` moves by ``magnitude`` at ``t`` and stays there."""

    kind: Literal["level_shift"] = field(default="level_shift", init=False)
    channel: str
    t: float
    magnitude: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Drift:
    """The level of ``channel`` ramps by ``magnitude`` over ``duration_s`` from ``t``; stays."""

    kind: Literal["drift"] = field(default="drift", init=False)
    channel: str
    t: float
    magnitude: float
    duration_s: float


TelemetryEvent = Spike | LevelShift | Drift


@dataclass(frozen=True, kw_only=True, slots=True)
class Generated:
    """Generated telemetry: ``samples`` (time order, channels interleaved) and ground truth.

    ``events`` are the injected events with ``t`` moved to the first sample at or after the
    requested time, the instant a perfect detector could first see them.
    """

    samples: Sequence[Sample]
    events: tuple[TelemetryEvent, ...]
    channels: tuple[ChannelSpec, ...]
    rate_hz: float
    duration_s: float


def _spec(channel: str | ChannelSpec, seed: int) -> ChannelSpec:
    if isinstance(channel, ChannelSpec):
        return channel
    rng = np.random.default_rng([seed, zlib.crc32(channel.encode())])
    return ChannelSpec(name=channel, base=round(float(rng.uniform(20.0, 80.0)), 1))


def generate(
    channels: Sequence[str | ChannelSpec],
    rate_hz: float,
    duration_s: float,
    seed: int,
    events: Sequence[TelemetryEvent] = (),
    *,
    start_t: float = 0.0,
) -> Generated:
    """Seeded telemetry of ``channels`` at ``rate_hz`` for ``duration_s``, ``events`` injected.

    A channel given by name gets a ``ChannelSpec`` with a base level drawn from the seed and
    the name, and default noise and wander. Each channel's noise comes from its own generator
    seeded by ``(seed, crc32(name))``, so adding a channel leaves the others unchanged.
    """
    if rate_hz <= 0 or duration_s <= 0:
        raise UsageError(
            f"generate: rate_hz={rate_hz} and duration_s={duration_s}; expected both > 0"
        )
    specs = tuple(_spec(c, seed) for c in channels)
    names = {spec.name for spec in specs}
    unknown = sorted({e.channel for e in events} - names)
    if unknown:
        raise UsageError(f"generate: events name channels {unknown}; generated: {sorted(names)}")
    count = int(duration_s * rate_hz)
    times = start_t + np.arange(count) / rate_hz
    snapped = tuple(_snap(e, start_t, rate_hz) for e in events)
    values = [_channel(spec, times, rate_hz, seed, snapped) for spec in specs]
    samples = [
        Sample(t=t, channel=spec.name, value=float(column[i]))
        for i, t in enumerate(times.tolist())
        for spec, column in zip(specs, values, strict=True)
    ]
    return Generated(
        samples=samples, events=snapped, channels=specs, rate_hz=rate_hz, duration_s=duration_s
    )


def _snap(event: TelemetryEvent, start_t: float, rate_hz: float) -> TelemetryEvent:
    index = math.ceil((event.t - start_t) * rate_hz - 1e-9)
    return replace(event, t=start_t + index / rate_hz)


def _channel(
    spec: ChannelSpec,
    times: np.ndarray,
    rate_hz: float,
    seed: int,
    events: tuple[TelemetryEvent, ...],
) -> np.ndarray:
    rng = np.random.default_rng([seed, zlib.crc32(spec.name.encode())])
    dt = 1.0 / rate_hz
    noise = _ar1(rng, len(times), math.exp(-dt / spec.noise_tau_s), spec.noise)
    wander = _ar1(rng, len(times), math.exp(-dt / spec.wander_tau_s), spec.wander)
    level = spec.base + wander
    if spec.daily:
        level += spec.daily * np.sin(2.0 * math.pi * times / DAY_S)
    tolerance = 0.5 * dt
    for event in (e for e in events if e.channel == spec.name):
        after = times >= event.t - tolerance
        if isinstance(event, LevelShift):
            level += event.magnitude * after
        elif isinstance(event, Drift):
            ramp = np.clip((times - event.t) / max(event.duration_s, dt), 0.0, 1.0)
            level += event.magnitude * ramp * after
        else:
            level += event.magnitude * (after & (times <= event.t + event.width_s + tolerance))
    return level + noise


def _ar1(rng: np.random.Generator, count: int, phi: float, sd: float) -> np.ndarray:
    """A stationary first-order autoregressive series with standard deviation ``sd``."""
    if sd == 0.0 or count == 0:
        return np.zeros(count)
    shocks = rng.standard_normal(count)
    shocks *= sd * math.sqrt(1.0 - phi * phi)
    shocks[0] = rng.standard_normal() * sd
    return np.asarray(lfilter([1.0], [1.0, -phi], shocks))
