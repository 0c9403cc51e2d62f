"""Sound events (knock, beep, door, other) from energy onsets, on a mono mix, streaming.

Every 10 ms hop the detector looks at the last ~32 ms twice: its broadband level, and its
spectrum against the noise's spectrum (both tracked while no event is open). An event opens
when the level rises ``rise_db`` above the noise floor, or when one frequency bin rises
``tone_db`` above its own floor: a tone puts all its power in a few bins, so at 0 dB
broadband SNR it still stands about 20 dB above the noise there, where the broadband level
barely moves. It closes when both stay below half their rise for ``release_s``.

A closed event is named by the shape of its power above the noise (the mean spectrum over
its hops less the noise's): ``door`` (a heavy thud: most of it below ``DOOR_HZ``), ``beep``
(tonal: one spectral peak holds most of it), ``knock`` (short and broadband), or ``sound``.
Subtracting the noise keeps the names right at low SNR, where white noise would otherwise
spread every event over the whole band. Speech also makes onsets; the hearing sense drops
events that overlap a voice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Kind = Literal["knock", "beep", "door", "sound"]
Array = npt.NDArray[np.float64]
DOOR_HZ = 400.0  # a door's thud holds most of its power below this; a knock's rap does not
DOOR_SHARE = 0.6
TONAL_SHARE = 0.5  # of the power above the noise, in the peak's five bins: a beep
KNOCK_MAX_S = 0.7  # up to four raps, with a room's tail
TONE_BAND_HZ = (200.0, 6000.0)  # where a beep is looked for (speech's low harmonics below)
SPECTRUM_S = 0.032  # the stretch each hop's spectrum looks at
TONE_MIN_S = 0.08  # a tone heard for less is a voice's harmonic, not a beep (those last 0.15+)


@dataclass(frozen=True, slots=True)
class SoundEvent:
    start_s: float
    end_s: float
    kind: Kind
    level_db: float
    tonality: float
    frequency_hz: float = 0.0  # of the strongest bin above the noise (a beep's pitch)


class OnsetDetector:
    def __init__(
        self,
        rate: int,
        *,
        hop_s: float = 0.01,
        rise_db: float = 12.0,
        tone_db: float = 12.0,
        release_s: float = 0.15,
        max_s: float = 2.0,
        floor_tau_s: float = 1.0,
    ) -> None:
        self.rate = rate
        self.hop = max(1, round(hop_s * rate))
        self.rise_db = rise_db
        self.tone_db = tone_db
        self.release_hops = max(1, round(release_s / hop_s))
        self.max_hops = round(max_s / hop_s)
        self.alpha = hop_s / floor_tau_s
        self.floor_db: float | None = None
        self.size = 1 << max(4, math.ceil(math.log2(SPECTRUM_S * rate)))
        self._window = np.hanning(self.size)
        freqs = np.fft.rfftfreq(self.size, 1.0 / rate)
        self._freqs = freqs
        self._tonal = (freqs >= TONE_BAND_HZ[0]) & (freqs <= min(TONE_BAND_HZ[1], 0.45 * rate))
        self.floor_spectrum: Array | None = None
        self._hops = 0  # hops seen: the first spectra include the zeros before the stream
        self._recent: Array = np.zeros((self.size, 1))
        self._carry: Array = np.zeros((0, 1))
        self._t = 0.0
        self._open: list[Array] | None = None
        self._open_at = 0.0
        self._quiet = 0
        self._peak_db = -math.inf
        self._by_tone = False

    def push(self, samples: npt.NDArray[np.floating], t0: float) -> list[SoundEvent]:
        """Feed samples (one channel, or frames × channels) starting at ``t0``; returns the
        events that closed. Channels are heard by their summed power, not mixed: a mix of a
        pair cancels the band where the two are half a period apart."""
        frames = np.asarray(samples, dtype=np.float64)
        frames = frames[:, None] if frames.ndim == 1 else frames
        if self._carry.size == 0:
            self._t = t0
            self._carry = np.zeros((0, frames.shape[1]))
        if self._recent.shape[1] != frames.shape[1]:
            self._recent = np.zeros((self.size, frames.shape[1]))
        data = np.concatenate([self._carry, frames])
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

    def _frame(self, frame: Array, t: float) -> SoundEvent | None:
        level = 10 * math.log10(float(np.mean(frame**2)) + 1e-12)
        self._recent = np.concatenate([self._recent[len(frame) :], frame])
        power = (np.abs(np.fft.rfft(self._recent * self._window[:, None], axis=0)) ** 2).sum(1)
        # Three neighbouring bins summed: a tone's main lobe keeps its power, noise steadies.
        spectrum = np.convolve(power, np.ones(3), "same")
        self._hops += 1
        if self.floor_db is None or self.floor_spectrum is None:
            self.floor_db, self.floor_spectrum = level, spectrum
        warm = self._hops * self.hop >= 2 * self.size  # the floor has seen a few spectra
        tone = self._tone_db(spectrum) if warm else -math.inf
        if self._open is None:
            loud = level > self.floor_db + self.rise_db
            if loud or tone > self.tone_db:
                # A tone is seen once it fills the spectrum's stretch: it began about then.
                began = t if loud else t - SPECTRUM_S / 2
                self._open, self._open_at, self._quiet = [spectrum], max(began, 0.0), 0
                self._peak_db, self._by_tone = level, not loud
                return None
            self.floor_db += self.alpha * (level - self.floor_db)
            # Faster at first, so the noise's spectrum is learnt in the stream's first second.
            alpha = max(self.alpha, self.hop / max(self._hops * self.hop - self.size, self.hop))
            self.floor_spectrum += min(alpha, 1.0) * (spectrum - self.floor_spectrum)
            return None
        self._open.append(spectrum)
        self._peak_db = max(self._peak_db, level)
        # An event ends by what began it: a room's tail keeps some bin above its floor
        # long after a knock's level has fallen.
        if self._by_tone:
            quiet = tone < self.tone_db / 2
        else:
            quiet = level < self.floor_db + self.rise_db / 2
        self._quiet = self._quiet + 1 if quiet else 0
        if self._quiet >= self.release_hops or len(self._open) >= self.max_hops:
            return self._close(t + self.hop / self.rate)
        return None

    def _tone_db(self, spectrum: Array) -> float:
        """How far the strongest bin of the tone band stands above its own noise floor."""
        assert self.floor_spectrum is not None
        ratio = spectrum[self._tonal] / np.maximum(self.floor_spectrum[self._tonal], 1e-20)
        return 10 * math.log10(float(np.max(ratio)) + 1e-12)

    def _close(self, end: float) -> SoundEvent | None:
        spectra = self._open or []
        self._open = None
        active = spectra[: max(1, len(spectra) - self._quiet)]
        floor = self.floor_spectrum if self.floor_spectrum is not None else 0.0
        excess = np.maximum(np.mean(active, axis=0) - floor, 0.0)[1:]
        total = float(excess.sum()) + 1e-20
        peak = int(np.argmax(excess))
        tonality = float(excess[max(0, peak - 2) : peak + 3].sum() / total)
        low = float(excess[self._freqs[1:] < DOOR_HZ].sum() / total)
        active_end = end - self._quiet * self.hop / self.rate
        duration = active_end - self._open_at
        if self._by_tone and duration < TONE_MIN_S:
            return None  # a voice's harmonic the voice detector missed, not a beep
        kind: Kind = (
            "door" if low > DOOR_SHARE
            else "beep" if tonality > TONAL_SHARE
            else "knock" if duration <= KNOCK_MAX_S
            else "sound"
        )  # fmt: skip
        frequency = float(self._freqs[1:][peak])
        return SoundEvent(self._open_at, active_end, kind, self._peak_db, tonality, frequency)
