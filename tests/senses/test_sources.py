"""Audio sources: bad WAV files give clear errors; good ones stream in timed blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from prefrontal import RecordError
from prefrontal.senses.sources.scene import Placed, render, tau_for, voiced
from prefrontal.senses.sources.wav import TruncatedAudioError, WavSource

RATE = 16_000


def _wav(path: Path, channels: int = 2, rate: int = RATE, seconds: float = 1.0) -> Path:
    frames = np.zeros((round(seconds * rate), channels), dtype=np.float32)
    soundfile.write(str(path), frames, rate, subtype="PCM_16")
    return path


def test_blocks_cover_the_file_in_order_and_resume(tmp_path: Path) -> None:
    source = WavSource(_wav(tmp_path / "a.wav", seconds=1.0), channels=2)
    blocks = list(source.blocks(0.1))
    assert [round(b.t0, 3) for b in blocks] == [round(0.1 * i, 3) for i in range(10)]
    assert blocks[0].samples.shape == (1600, 2)
    again = WavSource(tmp_path / "a.wav", channels=2)
    again.position_s = 0.5
    assert round(next(iter(again.blocks(0.1))).t0, 3) == 0.5


def test_a_wrong_channel_count_names_the_geometry(tmp_path: Path) -> None:
    with pytest.raises(RecordError) as error:
        WavSource(_wav(tmp_path / "mono.wav", channels=1), channels=2)
    assert "has 1 channels; the declared microphone geometry needs 2" in str(error.value)


def test_an_unsupported_rate_lists_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(RecordError) as error:
        WavSource(_wav(tmp_path / "odd.wav", rate=12_345), channels=2)
    assert "sampled at 12345 Hz; supported rates: [8000, 11025, 16000" in str(error.value)
    assert "Resample it" in str(error.value)


def test_a_corrupt_file_is_not_read_as_audio(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.wav"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" + bytes(100))
    with pytest.raises(RecordError, match="is not a readable WAV file"):
        WavSource(path, channels=2)


def test_a_truncated_file_delivers_what_it_has_then_says_so(tmp_path: Path) -> None:
    path = _wav(tmp_path / "cut.wav", seconds=1.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # the header still promises 1 s
    source = WavSource(path, channels=2)
    delivered: list[float] = []

    def read_all() -> None:
        for block in source.blocks(0.1):
            delivered.append(block.t0)

    with pytest.raises(TruncatedAudioError, match="truncated"):
        read_all()
    assert 4 <= len(delivered) <= 5


def test_a_rendered_scene_puts_each_clip_at_its_delay() -> None:
    tau = tau_for(-60.0, 0.18)
    stereo, [truth] = render(
        [Placed("speech", 0.2, -60.0, voiced(RATE, 0.5))], rate=RATE, duration_s=1.0,
        snr_db=None,
    )  # fmt: skip
    assert truth.tau_s == pytest.approx(tau)
    assert tau > 0  # on the left: the left microphone hears it first
    left, right = stereo[:, 0].astype(np.float64), stereo[:, 1].astype(np.float64)
    lag = np.argmax(np.correlate(right, left, mode="full")) - (len(left) - 1)
    assert lag == round(tau * RATE)
