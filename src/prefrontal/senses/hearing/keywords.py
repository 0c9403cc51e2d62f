"""Keyword search for a listened-for word: is it in this voice segment, and how surely.

``KeywordSpotter`` runs PocketSphinx's keyword search (its English acoustic model and
dictionary ship inside the ``pocketsphinx`` package; no language model): every
pronunciation of every listened-for word (``pronounce``: several, from several sources)
competes, frame by frame, against a free loop of phones, and the score of a detection is
how much better the word's own phones explain the audio than any phone sequence does (a
log-likelihood ratio, in nats). A word is heard when a pronunciation's ratio passes the
threshold (higher for a rule variant's), in any of the views of the voice it is given
(``spot_views``), tuned on generated rooms (``benchmarks/rooms.py``, tuning seeds only).

Measured in those rooms (README, hearing): full recognition with a language model heard the
name in none of the utterances that held it, also clean and dry for names the dictionary
lacks, because the language model never proposes a word it has no statistics for; keyword
search needs no language model, and the whole sense's real-time factor fell from 0.71 to 0.05.

``begin_views``/``feed_views``/``finish_views`` hear a voice while it speaks, a decoder per
view whose cepstral mean the voice's first part sets (PocketSphinx's batch mean needs the
whole segment): only a finalisation is left when it closes, but a ratio moves by up to 13
nats with the mean, and in rooms fewer names were heard (``sense.LIVE_AFTER_S``).
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from prefrontal.senses.hearing.pronounce import LIMIT, Phones, Pronunciation, Source, pronunciations
from prefrontal.senses.hearing.words import WordHit

_FRAME_S = 0.01
_ALTERNATE = re.compile(r"_kw\d+$")
# PocketSphinx keeps scores as log base 1.0001, shifted right by 10 bits; a detection's
# probability is reported as 1.0001 ** (ratio - KWS_MAX), KWS_MAX = 1500 shifted units.
_LOG_BASE = math.log(1.0001)
_SHIFT = 1 << 10
_KWS_MAX = 1500
_NATS_PER_UNIT = _LOG_BASE * _SHIFT


@dataclass(frozen=True, slots=True)
class Threshold:
    """A word is heard when its ratio (nats) reaches ``base + per_phone · phones``."""

    base: float
    per_phone: float
    floor: float = -40.0  # candidates below this are not even reported by the search
    # More for a pronunciation only rule variants give: a guess, and most false alarms.
    variant: float = 0.0

    def at(self, phones: int, sources: Sequence[str] = ()) -> float:
        guess = self.variant if sources and all(s == "variant" for s in sources) else 0.0
        return self.base + self.per_phone * phones + guess


# Tuned on benchmarks/rooms.py --names tune, seeds 1-4 (6 scenes each, 30 utterances with the
# name at SNR >= 10 dB, 8 min of speech without it), heard in four views: a base of 5, 10,
# 15, 20, 25 nats heard 22, 19, 16, 15, 13 of 30 with 10, 5, 3, 1, 0 false alarms; the one
# left at 20 came from a rule variant, hence 10 more for those; a threshold growing (+1.5
# nats a phone) or falling with the length heard fewer or alarmed more.
THRESHOLD = Threshold(base=20.0, per_phone=0.0, variant=10.0)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One detection of one pronunciation, before the threshold."""

    word: str
    phones: int
    start_s: float
    end_s: float
    ratio: float  # nats: the word's phones against the free phone loop
    sources: tuple[Source, ...] = ()  # where the pronunciation that fired came from


class KeywordSpotter:
    """Keyword search over PocketSphinx's US English acoustic model, at 16 kHz."""

    rate = 16_000

    def __init__(
        self,
        threshold: Threshold = THRESHOLD,
        pronunciations: int = LIMIT,
        remove_noise: bool = False,
        explicit: Mapping[str, Sequence[Phones]] | None = None,
    ) -> None:
        """``explicit``: pronunciations of a word given by the principal (config), heard
        besides the ones derived for it; ``pronunciations``: at most this many per word."""
        self.threshold = threshold
        self.remove_noise = remove_noise
        self.pronunciations = pronunciations
        self.explicit = {w.lower(): tuple(map(tuple, p)) for w, p in (explicit or {}).items()}
        self._decoder: Any = None
        self._searches: dict[int, dict[tuple[str, ...], str]] = {}  # per decoder
        self._lists: dict[tuple[str, ...], Path] = {}
        self._views: list[Any] = []  # a decoder per view, for ``begin_views``
        self._streaming = 0  # views being heard live
        self._entries: dict[str, Pronunciation] = {}
        self._folder = tempfile.TemporaryDirectory(prefix="prefrontal-kws-")

    def _ready(self) -> Any:
        if self._decoder is None:
            self._decoder = self._new_decoder()
        return self._decoder

    def _new_decoder(self) -> Any:
        import pocketsphinx

        config = pocketsphinx.Config(
            hmm=pocketsphinx.get_model_path("en-us/en-us"),
            dict=pocketsphinx.get_model_path("en-us/cmudict-en-us.dict"),
            lm=None,
            loglevel="FATAL",
            remove_noise=self.remove_noise,
        )
        return pocketsphinx.Decoder(config)

    def check(self, words: Sequence[str]) -> None:
        """Make every word listenable (``ValueError`` naming one that is not letters)."""
        self._search(words)

    def _search(self, words: Sequence[str], decoder: Any = None) -> str:
        """The keyword search for ``words``, made once per decoder: each word's
        pronunciations (every source of ``pronounce``) as keyphrases of their own."""
        decoder = decoder or self._ready()
        key = tuple(sorted({w.lower() for w in words}))
        made = self._searches.setdefault(id(decoder), {})
        if key in made:
            return made[key]
        path = self._lists.get(key)
        if path is None:
            lines: list[str] = []
            for word in key:
                said = pronunciations(word, self.explicit.get(word, ()), self.pronunciations)
                for index, pronunciation in enumerate(said):
                    entry = f"{word}_kw{index + 1}"
                    self._entries[entry] = pronunciation
                    lines.append(f"{entry} /{math.exp(self.threshold.floor):.6e}/")
            path = Path(self._folder.name) / f"kws{len(self._lists)}.list"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            self._lists[key] = path
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = line.split(" /")[0]
            if decoder.lookup_word(entry) is None:
                decoder.add_word(entry, " ".join(self._entries[entry].phones), False)
        name = path.stem
        decoder.add_kws(name, str(path))
        made[key] = name
        return name

    def candidates(
        self, audio: npt.NDArray[np.floating], rate: int, words: Sequence[str]
    ) -> list[Candidate]:
        """Every detection the search made, with its ratio, best first."""
        if rate != self.rate:
            raise ValueError(f"KeywordSpotter needs {self.rate} Hz audio, not {rate}")
        decoder = self._ready()
        decoder.activate_search(self._search(words))
        decoder.reinit_feat()  # fresh cepstral means: answers must not depend on the last one
        decoder.start_utt()
        decoder.process_raw(_pcm(audio), full_utt=True)
        decoder.end_utt()
        return self._found(decoder)

    def _found(self, decoder: Any) -> list[Candidate]:
        found: list[Candidate] = []
        for segment in decoder.seg() or []:
            entry = segment.word.strip().lower()
            ratio = _ratio(float(segment.prob))
            said = self._entries.get(entry)
            found.append(Candidate(_ALTERNATE.sub("", entry), len(said.phones) if said else 0,
                                   segment.start_frame * _FRAME_S, segment.end_frame * _FRAME_S,
                                   ratio, said.sources if said else ()))  # fmt: skip
        return sorted(found, key=lambda c: -c.ratio)

    def spot(
        self, audio: npt.NDArray[np.floating], rate: int, words: Sequence[str]
    ) -> list[WordHit]:
        return self.spot_views([audio], rate, words)

    def spot_views(
        self, views: Sequence[npt.NDArray[np.floating]], rate: int, words: Sequence[str]
    ) -> list[WordHit]:
        """The words heard in any of ``views`` (the same stretch of audio, each its own
        way), each with its best detection: where one view's noise or reflections hide
        the name, another's often do not (measured: README, name spotting). One after
        another: PocketSphinx holds the interpreter while it decodes (measured: a Python
        thread ran 1% of its pace beside a decode), so threads would not overlap them."""
        return self._hits([c for a in views for c in self.candidates(a, rate, words)])

    # -- live: the views of a voice heard while it still speaks ---------------------------

    def begin_views(
        self, views: Sequence[npt.NDArray[np.floating]], rate: int, words: Sequence[str]
    ) -> None:
        """Start hearing a voice through ``views`` of its first part (which sets each
        view's cepstral mean, as the whole segment does for ``spot_views``); ``feed_views``
        the rest as it comes, then ``finish_views``."""
        if rate != self.rate:
            raise ValueError(f"KeywordSpotter needs {self.rate} Hz audio, not {rate}")
        self.cancel_views()
        while len(self._views) < len(views):
            self._views.append(self._new_decoder())
        for decoder, audio in zip(self._views, views, strict=False):
            decoder.activate_search(self._search(words, decoder))
            decoder.reinit_feat()
            decoder.start_utt()
            decoder.process_raw(_pcm(audio), False, True)
        self._streaming = len(views)

    def feed_views(self, views: Sequence[npt.NDArray[np.floating]]) -> None:
        for decoder, audio in zip(self._views[: self._streaming], views, strict=True):
            if len(audio):
                decoder.process_raw(_pcm(audio), False, False)

    def finish_views(self) -> list[WordHit]:
        """The words heard in the views fed since ``begin_views``, as ``spot_views``."""
        live, self._streaming = self._views[: self._streaming], 0
        for decoder in live:
            decoder.end_utt()
        return self._hits([c for decoder in live for c in self._found(decoder)])

    def cancel_views(self) -> None:
        """Drop a voice being heard live (it was too short to be one)."""
        for decoder in self._views[: self._streaming]:
            decoder.end_utt()
        self._streaming = 0

    def _hits(self, pooled: Sequence[Candidate]) -> list[WordHit]:
        hits: dict[str, WordHit] = {}
        for c in sorted(pooled, key=lambda c: -c.ratio):
            margin = c.ratio - self.threshold.at(c.phones, c.sources)
            if margin >= 0 and c.word not in hits:
                confidence = round(1 / (1 + math.exp(-margin)), 3)
                hits[c.word] = WordHit(c.word, c.start_s, c.end_s, confidence, c.sources)
        return sorted(hits.values(), key=lambda h: h.start_s)


def _ratio(probability: float) -> float:
    """A detection's log-likelihood ratio in nats, from the probability PocketSphinx reports."""
    if probability <= 0:
        return -math.inf
    return (math.log(probability) / _LOG_BASE + _KWS_MAX) * _NATS_PER_UNIT


def _pcm(audio: npt.NDArray[np.floating]) -> bytes:
    return (np.clip(np.asarray(audio, dtype=np.float64), -1, 1) * 32767).astype(np.int16).tobytes()
