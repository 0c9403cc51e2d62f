"""WavSource: multi-channel WAV files of any supported rate, read in timed blocks."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile

from prefrontal.errors import RecordError

RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)


@dataclass(frozen=True, slots=True)
class Block:
    """``samples`` (frames × channels, float32 in -1..1) starting at ``t0`` seconds."""

    t0: float
    samples: npt.NDArray[np.float32]
    rate: int


class TruncatedAudioError(RecordError):
    """The file ended early or a block could not be decoded; what came before was delivered."""


class WavSource:
    """Reads ``path`` block by block, checking it against the declared microphone geometry.

    Opening checks the channel count (``channels``) and the rate (``RATES``) and raises
    ``RecordError`` naming the file, the value, the expectation and the fix. Reading resumes
    from ``position_s``, so a restarted sense does not hear the same audio twice.
    """

    def __init__(self, path: str | Path, *, channels: int) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise RecordError(f"audio source {self.path}: no such file; check [senses] source")
        try:
            info = soundfile.info(str(self.path))
        except (RuntimeError, soundfile.LibsndfileError) as error:
            raise RecordError(
                f"audio source {self.path} is not a readable WAV file ({error}); "
                "record it again or convert it (e.g. sox in.any -c 2 -r 16000 out.wav)"
            ) from None
        if info.channels != channels:
            raise RecordError(
                f"audio source {self.path} has {info.channels} channels; the declared "
                f"microphone geometry needs {channels}. Record with {channels} microphones "
                "or change [senses] channels"
            )
        if info.subtype in ("PCM_U8", "PCM_S8"):
            raise RecordError(
                f"audio source {self.path} is 8-bit ({info.subtype}): 48 dB of dynamic range "
                "buries speech and direction cues in quantisation noise, so it is refused "
                "rather than heard as silence. Convert it (e.g. sox in.wav -b 16 out.wav)"
            )
        if info.samplerate not in RATES:
            raise RecordError(
                f"audio source {self.path} is sampled at {info.samplerate} Hz; supported "
                f"rates: {list(RATES)}. Resample it (e.g. sox in.wav -r 16000 out.wav)"
            )
        self.rate = int(info.samplerate)
        self.channels = channels
        self.frames = int(info.frames)
        self.promised = _declared_frames(self.path) or self.frames
        self.position_s = 0.0

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate

    def blocks(self, block_s: float) -> Iterator[Block]:
        """Blocks of ``block_s`` from ``position_s`` on; raises ``TruncatedAudioError`` at a
        damaged or missing part, after every good block before it."""
        size = max(1, round(block_s * self.rate))
        start = round(self.position_s * self.rate)
        with soundfile.SoundFile(str(self.path)) as handle:
            handle.seek(min(start, self.frames))
            while True:
                t0 = handle.tell() / self.rate
                try:
                    data = handle.read(size, dtype="float32", always_2d=True)
                except (RuntimeError, soundfile.LibsndfileError) as error:
                    raise TruncatedAudioError(
                        f"audio source {self.path} is damaged at {t0:.2f} s ({error}); the "
                        "audio before it was heard"
                    ) from None
                if len(data) == 0:
                    break
                self.position_s = t0 + len(data) / self.rate
                yield Block(t0, np.asarray(data, dtype=np.float32), self.rate)
        if self.promised > self.frames:
            raise TruncatedAudioError(
                f"audio source {self.path} ends at {self.position_s:.2f} s but its header "
                f"promises {self.promised / self.rate:.2f} s: the file is truncated; the audio "
                "before the cut was heard"
            )


def _declared_frames(path: Path) -> int | None:
    """The frame count a PCM WAV header promises (libsndfile reports what is really there)."""
    try:
        with wave.open(str(path)) as handle:
            return handle.getnframes()
    except (wave.Error, EOFError, OSError):
        return None
