"""Voice activity (Silero) and word spotting (PocketSphinx) on flite speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from prefrontal.senses.hearing.pronounce import Dictionary, letter_to_sound
from prefrontal.senses.hearing.vad import Segment, VoiceActivity
from prefrontal.senses.hearing.words import PocketSphinxSpotter, WordHit, WordSpotter
from prefrontal.senses.sources import speech
from prefrontal.senses.sources.scene import beep, knock

RATE = 16_000
needs_flite = pytest.mark.skipif(not speech.available(), reason=speech.MISSING)


def _detect(vad: VoiceActivity, audio: np.ndarray) -> list[Segment]:
    found: list[Segment] = []
    for i in range(0, len(audio), 1600):
        found += vad.push(audio[i : i + 1600])
    return found + vad.flush()


def _gap(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), dtype=np.float32)


@needs_flite
def test_utterances_are_found_near_their_true_bounds() -> None:
    parts, truth, t = [], [], 0.5
    parts.append(_gap(0.5))
    for text in speech.WITHOUT_NAME[:3]:
        clip = speech.say(text)
        active = np.flatnonzero(np.abs(clip) > 0.02)
        truth.append((t + active[0] / RATE, t + active[-1] / RATE))
        parts += [clip, _gap(1.0)]
        t += (len(clip) + RATE) / RATE
    segments = _detect(VoiceActivity(RATE), speech.noisy(np.concatenate(parts), 30.0))
    assert len(segments) == 3
    for segment, (start, end) in zip(segments, truth, strict=True):
        assert abs(segment.start_s - start) < 0.15
        assert abs(segment.end_s - end) < 0.4
        assert segment.probability > 0.8


def test_silence_noise_tones_and_knocks_are_not_speech() -> None:
    rng = np.random.default_rng(1)
    audio = np.concatenate([
        _gap(1.0), rng.normal(0, 0.01, RATE).astype(np.float32), _gap(0.5),
        beep(RATE).astype(np.float32), _gap(0.5), knock(RATE).astype(np.float32), _gap(1.0),
    ])  # fmt: skip
    assert _detect(VoiceActivity(RATE), audio) == []


@needs_flite
def test_a_higher_threshold_hears_less() -> None:
    quiet = speech.noisy(np.concatenate([_gap(0.5), speech.say("Turn the music down.")]), 0.0)
    relaxed = _detect(VoiceActivity(RATE, threshold=0.3), quiet)
    strict = _detect(VoiceActivity(RATE, threshold=0.95), quiet)
    assert sum(s.end_s - s.start_s for s in strict) < sum(s.end_s - s.start_s for s in relaxed)


def test_bad_audio_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match=r"runs at \[8000, 16000\] Hz, not 44100; resample"):
        VoiceActivity(44_100)
    with pytest.raises(ValueError, match="NaN or infinite samples"):
        VoiceActivity(RATE).push(np.array([0.0, np.nan], dtype=np.float32))


@needs_flite
@pytest.mark.parametrize("voice", ["slt", "kal16", "awb", "rms"])
def test_the_name_is_spotted_in_clean_speech(voice: str) -> None:
    spotter = PocketSphinxSpotter()
    found = [bool(spotter.spot(speech.say(t, voice), RATE, ["alex"])) for t in speech.WITH_NAME]
    false = [bool(spotter.spot(speech.say(t, voice), RATE, ["alex"])) for t in speech.WITHOUT_NAME]
    assert sum(found) >= 6, f"{voice}: found in {sum(found)} of {len(found)}"
    assert sum(false) == 0


def test_a_word_that_is_not_letters_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"cannot pronounce 'r2-d2': listen for a word of letters"):
        PocketSphinxSpotter().spot(np.zeros(RATE, dtype=np.float32), RATE, ["alex", "r2-d2"])


def test_a_name_missing_from_the_dictionary_gets_several_pronunciations(tmp_path: Path) -> None:
    (tmp_path / "tiny.dict").write_text(
        "mari M AA R IY\nsol S AA L\nsol(2) S OW L\nalex AE L AH K S\nx EH K S\n"
    )
    tiny = Dictionary(tmp_path / "tiny.dict")
    assert tiny.pronunciations("Alex") == [("AE", "L", "AH", "K", "S")]
    assert tiny.pronunciations("alexx")[0] == ("AE", "L", "AH", "K", "S")  # a close spelling
    marisol = tiny.pronunciations("marisol")
    assert marisol[0] == ("M", "AA", "R", "IY", "S", "AA", "L")  # cut into words it knows
    assert len(marisol) == 2
    assert letter_to_sound("noor") == ("N", "UW", "R")


@needs_flite
def test_a_name_missing_from_the_dictionary_is_spotted() -> None:
    spotter = PocketSphinxSpotter()
    heard = [spotter.spot(speech.say("Hey Zainab, can you come here?", v), RATE, ["zainab"])
             for v in ("slt", "rms")]  # fmt: skip
    assert all(h and h[0].word == "zainab" for h in heard), heard
    assert spotter.spot(speech.say(speech.WITHOUT_NAME[0]), RATE, ["zainab"]) == []


def test_the_spotter_is_replaceable() -> None:
    class Keyword:
        def spot(self, audio: np.ndarray, rate: int, words: object) -> list[WordHit]:
            return [WordHit("alex", 0.0, 0.5, 0.99)]

    spotter: WordSpotter = Keyword()
    assert spotter.spot(np.zeros(10), RATE, ["alex"])[0].word == "alex"


@needs_flite
def test_the_earliest_end_of_an_open_voice_never_passes_where_it_ends() -> None:
    parts = [_gap(0.5)]
    for text in speech.WITHOUT_NAME[:3]:
        parts += [speech.say(text), _gap(0.2 if len(parts) == 2 else 1.0)]
    audio = speech.noisy(np.concatenate(parts), 20.0)
    vad = VoiceActivity(RATE)
    bounds: list[float] = []
    closed: list[tuple[list[float], Segment]] = []
    for i in range(0, len(audio), 800):
        for segment in vad.push(audio[i : i + 800]):
            closed.append((bounds, segment))
            bounds = []
        if vad.earliest_end is not None:
            bounds.append(vad.earliest_end)
    assert vad.open_since is None
    assert vad.earliest_end is None
    assert len(closed) >= 2
    for seen, segment in closed:
        # what a live listener was told while the voice went on: never beyond its end
        assert seen
        assert max(seen) <= segment.end_s + 1e-9
        assert max(seen) >= segment.end_s - 0.04  # and told it at the end (one window)
