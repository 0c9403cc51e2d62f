"""Streaming spike and change detection for telemetry, one ``ChannelMonitor`` per channel.

Two stages per channel, each on the time scale where its test holds:

- **Spikes**, on the raw stream: a robust z-score of each sample against a local level (an
  exponentially weighted mean, Huber-clipped so a spike barely moves it) and a scale (the
  weighted mean absolute residual, clipped at the threshold). One ``anomaly`` finding per
  excursion, at its first sample. An excursion that lasts ``sustain_s`` is a step, not a
  spike: a ``change`` finding at once, and both stages re-seed at the new level.
- **Changes**, on 1 s means de-trended against a slow baseline and standardised: river's
  ``PageHinkley`` (a two-sided CUSUM). Raw samples are autocorrelated, which breaks the
  independence these tests assume; de-trended 1 s means are close to independent. Its
  tolerance ``change_delta`` (in standard deviations of a 1 s mean) is the line between benign
  wander and a change. On detection the change point, the levels before and after, and the
  shape (step or ramp) are estimated from the 1 s means since the last change.

Invariants: memory per channel is bounded (scalars, a ring of ``history_bins`` means and
PageHinkley's O(1) state); a sample that is not finite or goes back in time yields a
``flagged`` finding and leaves the state unchanged; the same samples give the same findings.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from river.drift import PageHinkley

from prefrontal.errors import UsageError
from prefrontal.senses.telemetry.sources import Flagged, Sample

__all__ = ["ChannelMonitor", "Finding", "MonitorSettings", "TelemetryDetector", "confidence"]

GAUSS_MAD = math.sqrt(math.pi / 2.0)  # standard deviation over mean absolute deviation


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """What the detector reports: an ``anomaly`` (a spike), a ``change`` (the level moved) or a
    ``flagged`` record (bad input, state unchanged).

    ``t`` is the sample at which it was found and ``since`` the start of what it summarises
    (the first sample of a spike, the estimated change point); ``value`` the value seen (the
    new level for a change); ``baseline`` what was expected; ``confidence`` in 0..1;
    ``detail`` one line of English. ``channel`` is ``""`` for a flagged record without one.
    """

    kind: Literal["anomaly", "change", "flagged"]
    channel: str
    t: float
    since: float
    value: float
    baseline: float
    confidence: float
    detail: str


@dataclass(frozen=True, kw_only=True, slots=True)
class MonitorSettings:
    """Tuning of a ``ChannelMonitor``; times in seconds, thresholds in standard deviations.

    ``spike_threshold`` is the robust z-score that makes a sample an outlier;
    ``change_threshold`` is PageHinkley's lambda and ``change_delta`` its tolerance, both in
    standard deviations of a de-trended 1 s mean. Defaults suit 1-100 Hz telemetry.
    """

    spike_threshold: float = 6.0
    change_threshold: float = 25.0
    change_delta: float = 0.75
    level_tau_s: float = 10.0
    scale_tau_s: float = 300.0
    sustain_s: float = 1.0
    sustain_samples: int = 3
    bin_s: float = 1.0
    baseline_tau_s: float = 300.0
    bin_scale_tau_s: float = 3_600.0
    warmup_s: float = 30.0
    history_bins: int = 900

    def tuned(self, *, spike: float | None = None, change: float | None = None) -> MonitorSettings:
        """These settings with a new spike threshold and/or change threshold, checked."""
        for name, value in (("spike", spike), ("change", change)):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise UsageError(
                    f"set_threshold: {name}={value!r}; expected a finite number > 0 "
                    "(standard deviations; defaults: spike=6, change=25)"
                )
        return replace(
            self,
            spike_threshold=self.spike_threshold if spike is None else spike,
            change_threshold=self.change_threshold if change is None else change,
        )


def confidence(z: float, looks: float) -> float:
    """Chance that Gaussian noise gives no |z| this large in ``looks`` independent tries."""
    return math.exp(-looks * math.erfc(abs(z) / math.sqrt(2.0)))


def _flagged(channel: str, t: float, value: float, baseline: float, reason: str) -> Finding:
    return Finding(
        kind="flagged",
        channel=channel,
        t=t,
        since=t,
        value=value,
        baseline=baseline,
        confidence=1.0,
        detail=f"channel '{channel}': {reason}" if channel else reason,
    )


class ChannelMonitor:
    """Spike and change detection on one channel's samples, in time order."""

    def __init__(self, channel: str, settings: MonitorSettings | None = None) -> None:
        self.channel = channel
        self.settings = settings or MonitorSettings()
        self.last_t: float | None = None
        self.count = 0
        self.level = self.scale = self.baseline = self.bin_scale = self.spread = 0.0
        self._dt = self._started = self._run_since = 0.0
        self._building = (0.0, 0.0)
        self._lag = self._power = self._previous = 0.0
        self._run: list[float] = []
        self._bin: tuple[int, float, int] | None = None  # (index, sum, count)
        self._bins = 0
        self._history: deque[tuple[float, float]] = deque(maxlen=self.settings.history_bins)
        self._ph = self._page_hinkley()

    def _page_hinkley(self) -> PageHinkley:
        s = self.settings
        return PageHinkley(
            min_instances=5, delta=s.change_delta, threshold=s.change_threshold, alpha=1.0
        )

    def set_threshold(self, *, spike: float | None = None, change: float | None = None) -> None:
        """Set the spike z-score and/or PageHinkley's lambda, from the next sample on."""
        self.settings = self.settings.tuned(spike=spike, change=change)
        self._ph.threshold = self.settings.change_threshold

    def update(self, sample: Sample) -> list[Finding]:
        """Take one sample; return what it revealed (usually nothing)."""
        t, x = sample.t, sample.value
        if not math.isfinite(x):
            reason = f"value {x!r} at t={t} is not finite; expected a finite number"
            return [_flagged(self.channel, t, x, self._expected(), reason + ", sample ignored")]
        if self.last_t is not None and t < self.last_t:
            reason = (
                f"t={t} is before the previous sample at t={self.last_t}; expected "
                "timestamps that never go backwards, sample ignored"
            )
            return [_flagged(self.channel, t, x, self._expected(), reason)]
        if self.last_t is None:
            self.level, self.baseline, self._started = x, x, t
        else:
            self._dt += (t - self.last_t - self._dt) / min(self.count, 100)
        self.last_t = t
        self.count += 1
        findings = self._spike(t, x)
        if not findings or findings[0].kind == "anomaly":
            findings += self._binned(t, x)
        return findings

    def _expected(self) -> float:
        return self.level if self.count else math.nan

    def _weight(self, tau_s: float) -> float:
        return max(1.0 / self.count, 1.0 - math.exp(-self._dt / tau_s)) if self._dt else 1.0

    def _spike(self, t: float, x: float) -> list[Finding]:
        s = self.settings
        before = self.level
        r = x - before
        limit = s.spike_threshold * self.scale
        warm = t - self._started >= s.warmup_s and self.scale > 0.0
        clipped = max(-limit, min(limit, r)) if warm else r
        self.level += self._weight(s.level_tau_s) * clipped
        self.scale += self._weight(s.scale_tau_s) * (GAUSS_MAD * abs(clipped) - self.scale)
        if not (warm and abs(r) > limit):
            self._run.clear()
            return []
        self._run.append(x)
        if len(self._run) == 1:
            self._run_since = t
            looks = 60.0 / self._dt if self._dt else 1.0  # samples a minute
            z = r * s.spike_threshold / limit
            return [self._finding("anomaly", t, t, x, before, z, looks, "spike")]
        if len(self._run) >= s.sustain_samples and t - self._run_since >= s.sustain_s:
            return [self._step(t)]
        return []

    def _step(self, t: float) -> Finding:
        """An excursion that lasted: the level moved. Re-seed both stages there."""
        after = sum(self._run) / len(self._run)
        z = (after - self.baseline) / self.scale
        shape = f"level shift, every sample for {t - self._run_since:.3g} s was an outlier"
        finding = self._finding("change", t, self._run_since, after, self.baseline, z, 1.0, shape)
        self._run.clear()
        self._reset_change(after)
        return finding

    def _reset_change(self, level: float) -> None:
        self.level = self.baseline = level
        self._bin = None
        self._building = (0.0, 0.0)
        self._history.clear()
        self._ph = self._page_hinkley()

    def _finding(
        self, kind: Literal["anomaly", "change"], t: float, since: float, value: float,
        baseline: float, z: float, looks: float, what: str,
    ) -> Finding:  # fmt: skip
        delta = value - baseline
        detail = (
            f"{self.channel} {value:.4g} vs baseline {baseline:.4g} "
            f"({delta:+.3g}, {z:+.1f}σ): {what}"
        )
        return Finding(
            kind=kind,
            channel=self.channel,
            t=t,
            since=since,
            value=value,
            baseline=baseline,
            confidence=confidence(z, looks),
            detail=detail,
        )

    def _binned(self, t: float, x: float) -> list[Finding]:
        """Add ``x`` (winsorised: a spike must not move a mean) to its 1 s bin."""
        s = self.settings
        limit = s.spike_threshold * self.scale
        if limit:
            x = max(self.level - limit, min(self.level + limit, x))
        index = math.floor(t / s.bin_s)
        if self._bin is None or index != self._bin[0]:
            closed, self._bin = self._bin, (index, x, 1)
            if closed is None:
                return []
            return self._change(closed[0] * s.bin_s, closed[1] / closed[2], t)
        self._bin = (index, self._bin[1] + x, self._bin[2] + 1)
        return []

    def _change(self, start: float, mean: float, t: float) -> list[Finding]:
        s = self.settings
        self._bins += 1
        self._history.append((start, mean))
        e = mean - self.baseline
        self.baseline += max(1.0 / self._bins, min(1.0, s.bin_s / s.baseline_tau_s)) * e
        warm = self._bins * s.bin_s >= s.warmup_s and self.bin_scale > 0.0
        # 1 s means are still correlated (sluggish sensors, wander): widen the spread by the
        # long-run variance factor of their lag-1 correlation, so sums are judged fairly.
        rho = max(0.0, min(0.9, self._lag / self._power)) if self._power else 0.0
        self.spread = self.bin_scale * math.sqrt((1.0 + rho) / (1.0 - rho))
        u = e / self.spread if warm else 0.0
        # A plain CUSUM beside PageHinkley gates learning: the noise statistics learn only
        # while nothing builds up, or a slow drift would inflate them and hide itself.
        up, down = self._building
        up, down = max(0.0, up + u - s.change_delta), max(0.0, down - u - s.change_delta)
        self._building = (up, down)
        if max(up, down) < 0.25 * s.change_threshold:
            clip = 3.0 * self.bin_scale if warm else abs(e)
            ec = max(-clip, min(clip, e))
            weight = max(1.0 / self._bins, min(1.0, s.bin_s / s.bin_scale_tau_s))
            self.bin_scale += weight * (GAUSS_MAD * abs(ec) - self.bin_scale)
            self._lag += weight * (ec * self._previous - self._lag)
            self._power += weight * (ec * ec - self._power)
            self._previous = ec
        if not warm:
            return []
        self._ph.update(u)
        return [self._located(t)] if self._ph.drift_detected else []

    def _located(self, t: float) -> Finding:
        """Where, how large and what shape the change was, from the 1 s means since the last."""
        starts = np.array([h[0] for h in self._history])
        means = np.array([h[1] for h in self._history])
        k = _split(means)
        n = len(means)
        before, after = float(means[:k].mean()), float(means[k:].mean())
        current = float(means[max(k, n - 10) :].mean())
        shape = "level shift"
        if n - k >= 5:
            slope, intercept = np.polyfit(starts[k:], means[k:], 1)
            ramp = float(np.sum((means[k:] - (slope * starts[k:] + intercept)) ** 2))
            step = float(np.sum((means[k:] - after) ** 2))
            if (step - ramp) > 10.0 * ramp / max(1, n - k - 2):  # F-test of a slope
                shape = f"drift of {float(slope):+.3g}/s"
        z = (after - before) / (self.spread * math.sqrt(1.0 / k + 1.0 / (n - k)))
        what = f"{shape} since t={starts[k]:.1f} (PageHinkley on 1 s means)"
        finding = self._finding("change", t, float(starts[k]), current, before, z, n, what)
        self._reset_change(current)
        return finding


def _split(means: np.ndarray) -> int:
    """The index that best splits ``means`` into two segments of different mean (CUSUM)."""
    n = len(means)
    if n < 4:
        return max(1, n // 2)
    k = np.arange(1, n)
    head = np.cumsum(means)[:-1]
    gap = np.abs(head / k - (means.sum() - head) / (n - k)) * np.sqrt(k * (n - k) / n)
    return int(np.argmax(gap[1:-1])) + 2


class TelemetryDetector:
    """A ``ChannelMonitor`` per channel, created on first sight, with top-down attention.

    ``attend`` chooses the channels whose findings are reported (every monitor keeps
    learning, so a channel attended later is already warm); ``set_threshold`` tunes one
    channel or all. At most ``max_channels`` monitors: a sample of one more is flagged.
    """

    def __init__(
        self,
        settings: MonitorSettings | None = None,
        *,
        channels: Collection[str] | None = None,
        max_channels: int = 1_024,
    ) -> None:
        self.settings = settings or MonitorSettings()
        self.monitors: dict[str, ChannelMonitor] = {}
        self.attended: frozenset[str] | None = None
        self.max_channels = max_channels
        self.attend(channels)

    def attend(self, channels: Collection[str] | None) -> None:
        """Report only ``channels`` from now on; ``None`` reports every channel."""
        if isinstance(channels, str):
            raise UsageError(f"attend: channels={channels!r}; expected a collection of names")
        self.attended = None if channels is None else frozenset(channels)

    def set_threshold(
        self, *, spike: float | None = None, change: float | None = None, channel: str | None = None
    ) -> None:
        """Tune ``channel`` (created if new), or every channel and those still to come."""
        if channel is not None:
            self._monitor(channel).set_threshold(spike=spike, change=change)
            return
        self.settings = self.settings.tuned(spike=spike, change=change)
        for monitor in self.monitors.values():
            monitor.set_threshold(spike=spike, change=change)

    def _monitor(self, channel: str) -> ChannelMonitor:
        monitor = self.monitors.get(channel)
        if monitor is None:
            monitor = self.monitors[channel] = ChannelMonitor(channel, self.settings)
        return monitor

    def update(self, record: Sample | Flagged) -> list[Finding]:
        """Take one record from a source; return the findings on attended channels."""
        if isinstance(record, Flagged):
            t = math.nan if record.t is None else record.t
            findings = [_flagged(record.channel or "", t, math.nan, math.nan, record.reason)]
        elif record.channel in self.monitors or len(self.monitors) < self.max_channels:
            findings = self._monitor(record.channel).update(record)
        else:
            reason = (
                f"a new channel beyond max_channels={self.max_channels}; expected one of the "
                "channels seen so far, sample ignored"
            )
            findings = [_flagged(record.channel, record.t, record.value, math.nan, reason)]
        if self.attended is None or not findings:
            return findings
        return [f for f in findings if f.channel in self.attended or not f.channel]

    def run(self, records: Iterable[Sample | Flagged]) -> Iterator[Finding]:
        """Every finding on ``records``, in order."""
        for record in records:
            yield from self.update(record)
