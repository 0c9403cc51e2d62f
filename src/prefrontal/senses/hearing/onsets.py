"""Sound events (knock, beep, other) from energy onsets, on a mono mix, streaming.

An event opens when a 10 ms frame's energy rises ``rise_db`` above the tracked noise floor
and closes when it stays below half that rise for ``release_s``. A closed event is named by
its shape: ``door`` (a heavy thud: most of its power below ``DOOR_HZ``), ``beep`` (tonal:
one spectral peak holds most of the power), ``knock`` (short and broadband), or ``sound``.
Speech also makes onsets; the hearing sense drops events that overlap a voice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Kind = Literal["knock", "beep", "door", "sound"]
DOOR_HZ = 400.0  # a door's thud holds most of its power below this; a knock's rap does not
DOOR_SHARE = 0.6
KNOCK_MAX_S = 0.7  # up to four raps, with a room's tail


@dataclass(frozen=True, slots=True)
class SoundEvent:
    start_s: float
    end_s: float
    kind: Kind
    level_db: float
    tonality: float


class OnsetDetector:
    def __init__(
        self,
        rate: int,
        *,
        hop_s: float = 0.01,
        rise_db: float = 12.0,
        release_s: float = 0.15,
        max_s: float = 2.0,
        floor_tau_s: float = 1.0,
    ) -> None:
        self.rate = rate
        self.hop = max(1, round(hop_s * rate))
        self.rise_db = rise_db
        self.release_hops = max(1, round(release_s / hop_s))
        self.max_hops = round(max_s / hop_s)
        self.alpha = hop_s / floor_tau_s
        self.floor_db: float | None = None
        self._carry = np.zeros(0, dtype=np.float64)
        self._t = 0.0
        self._open: list[npt.NDArray[np.float64]] | None = None
        self._open_at = 0.0
        self._quiet = 0
        self._peak_db = -math.inf

    def push(self, mono: npt.NDArray[np.floating], t0: float) -> list[SoundEvent]:
        """Feed samples starting at ``t0``; returns the events that closed."""
        if self._carry.size == 0:
            self._t = t0
        data = np.concatenate([self._carry, np.asarray(mono, dtype=np.float64)])
        events: list[SoundEvent] = []
        usable = len(data) - len(data) % self.hop
        for start in range(0, usable, self.hop):
            frame = data[start : start + self.hop]
            closed = self._frame(frame, self._t)
            if closed is not None:
                events.append(closed)
            self._t += self.hop / self.rate
        self._carry = data[usable:]
        return events

    def _frame(self, frame: npt.NDArray[np.float64], t: float) -> SoundEvent | None:
        level = 10 * math.log10(float(np.mean(frame**2)) + 1e-12)
        if self.floor_db is None:
            self.floor_db = level
        if self._open is None:
            if level > self.floor_db + self.rise_db:
                self._open, self._open_at, self._quiet, self._peak_db = [frame], t, 0, level
                return None
            self.floor_db += self.alpha * (level - self.floor_db)
            return None
        self._open.append(frame)
        self._peak_db = max(self._peak_db, level)
        self._quiet = self._quiet + 1 if level < self.floor_db + self.rise_db / 2 else 0
        if self._quiet >= self.release_hops or len(self._open) >= self.max_hops:
            return self._close(t + self.hop / self.rate)
        return None

    def _close(self, end: float) -> SoundEvent:
        samples = np.concatenate(self._open or [])
        self._open = None
        active_end = end - self._quiet * self.hop / self.rate
        power = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
        peak = int(np.argmax(power[1:])) + 1
        around = power[max(1, peak - 2) : peak + 3].sum()
        tonality = float(around / (power[1:].sum() + 1e-12))
        freqs = np.fft.rfftfreq(len(samples), 1.0 / self.rate)
        low = float(power[1:][freqs[1:] < DOOR_HZ].sum() / (power[1:].sum() + 1e-12))
        duration = active_end - self._open_at
        kind: Kind = (
            "door" if low > DOOR_SHARE
            else "beep" if tonality > 0.5
            else "knock" if duration <= KNOCK_MAX_S
            else "sound"
        )  # fmt: skip
        return SoundEvent(self._open_at, active_end, kind, self._peak_db, tonality)
