"""TelemetrySense: per-channel anomaly and change detection, handing up percepts."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import anyio
import numpy as np

from prefrontal.senses.base import Emit, Observation, check_settings
from prefrontal.senses.evidence import EvidenceStore
from prefrontal.senses.telemetry.detect import Finding, TelemetryDetector
from prefrontal.senses.telemetry.sources import Flagged, Sample

_SAMPLE_BYTES = 16  # a timestamp and a value, as float64
_KEPT = 600  # samples per channel kept as evidence behind a percept
_SETTINGS = ("channels", "spike_threshold", "change_threshold")


class TelemetrySense:
    """Reads records (samples or flagged ones) and reports findings as percepts.

    The record iterator lives across restarts, so a restarted sense continues where it
    stopped. ``pace_s`` sleeps between records of a live-paced replay (``0``: as fast as
    possible, yielding to the runtime every 256 records).
    """

    version = "telemetry-1"

    def __init__(
        self,
        name: str,
        records: Iterable[Sample | Flagged],
        *,
        evidence: EvidenceStore | None = None,
        channels: tuple[str, ...] = (),
        pace_s: float = 0.0,
    ) -> None:
        self.name = name
        self._records: Iterator[Sample | Flagged] = iter(records)
        self.evidence = evidence
        self.detector = TelemetryDetector(channels=channels or None)
        self.declared = frozenset(channels)  # named in config: closed; others come from data
        self.pace_s = pace_s
        self._recent: dict[str, deque[tuple[float, float]]] = {}
        self._since_last = 0

    def resume(self, position_s: float) -> None:
        self._records = (r for r in self._records if r.t is None or r.t > position_s)

    async def run(self, emit: Emit) -> None:
        for count, record in enumerate(self._records, start=1):
            self._since_last += 1
            if isinstance(record, Sample):
                recent = self._recent.setdefault(record.channel, deque(maxlen=_KEPT))
                recent.append((record.t, record.value))
            for finding in self.detector.update(record):
                await emit(self._observation(finding))
            if self.pace_s:
                await anyio.sleep(self.pace_s)
            elif count % 256 == 0:
                await anyio.lowlevel.checkpoint()

    def attend(self, settings: Mapping[str, Any]) -> list[str]:
        check_settings(self.name, settings, _SETTINGS)
        changed: list[str] = []
        if "channels" in settings:
            channels = settings["channels"]
            self.detector.attend(None if channels is None else [str(c) for c in channels])
            changed.append(f"reporting channels {channels or 'all'}")
        spike, change = settings.get("spike_threshold"), settings.get("change_threshold")
        if spike is not None or change is not None:
            self.detector.set_threshold(
                spike=None if spike is None else float(spike),
                change=None if change is None else float(change),
            )
            changed.append(f"thresholds spike={spike} change={change}")
        return changed

    def _observation(self, finding: Finding) -> Observation:
        raw = self._since_last * _SAMPLE_BYTES
        self._since_last = 0
        span = (finding.since, finding.t) if math.isfinite(finding.t) else (0.0, 0.0)
        fields: dict[str, Any] = {
            "channel": finding.channel,
            "value": _number(finding.value),
            "baseline": _number(finding.baseline),
            "detail": finding.detail,
        }
        # The rendering is built from closed parts only: a channel named in the data (not in
        # config) and a malformed cell's detail reach orchestrators as handles.
        declared = finding.channel in self.declared
        tainted = ("fields.detail",) if declared else ("fields.channel", "fields.detail")
        if finding.kind == "flagged":
            return Observation(
                name="telemetry.flagged", rendering="a bad reading was skipped",
                confidence=finding.confidence, span=span, fields=fields, raw_bytes=raw,
                tainted=tainted,
            )  # fmt: skip
        evidence = self._keep(finding.channel)
        channel = finding.channel if declared else "a channel"
        if finding.kind == "anomaly":
            rendering = f"{channel} spiked to {finding.value:.1f} (usually {finding.baseline:.1f})"
        else:
            rendering = f"{channel} moved to {finding.value:.1f} from {finding.baseline:.1f}"
        return Observation(
            name=f"telemetry.{finding.kind}", rendering=rendering, confidence=finding.confidence,
            span=span, fields=fields, raw_bytes=raw, evidence=evidence, tainted=tainted,
        )  # fmt: skip

    def _keep(self, channel: str) -> str | None:
        recent = self._recent.get(channel)
        if self.evidence is None or not recent:
            return None
        window = np.array(recent, dtype=np.float64)
        return self.evidence.put(
            self.name, window, rate=0, meta={"channel": channel, "columns": ["t", "value"]}
        )


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None
