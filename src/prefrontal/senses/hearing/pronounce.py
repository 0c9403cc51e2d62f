"""Pronunciations of a word to listen for, from several independent sources.

A principal's name is often missing from the dictionary that ships with PocketSphinx (CMU's,
US English, ARPABET phones), and where it is, the house's voice may not say it that way.
``pronunciations`` gathers several, each tagged with its source, in this order: those the
principal wrote in config (``[principal] name_pronunciations``); the dictionary's own;
flite's reading (its lexicon, else its letter-to-sound rules: the house's text-to-speech,
when the ``flite`` binary is installed); a learnt grapheme-to-phoneme model (``g2p``, when
its package is installed); for a word the dictionary lacks, readings derived from the
dictionary (``Dictionary.pronunciations``: a close spelling, the word cut into pieces the
dictionary knows, plain letter-to-sound rules) and last rule variants of the first ones
(one vowel swapped for its nearest neighbour). A word the dictionary knows gets each
source's best reading only. Pure Python on the dictionary file, plus one
``flite`` subprocess per word; it never imports the decoder.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from prefrontal.config import PHONES
from prefrontal.senses.hearing import g2p

Phones = tuple[str, ...]
Source = Literal["config", "dictionary", "flite", "g2p", "derived", "variant"]
SOURCES: tuple[Source, ...] = ("config", "dictionary", "flite", "g2p", "derived", "variant")
LIMIT = 8  # pronunciations per word: each one more is one more chance of a false alarm
# The vowel a rule variant puts in place of another: its nearest neighbour in the model.
_NEIGHBOUR = {"AH": "AA", "AA": "AH", "IY": "IH", "IH": "IY", "EY": "EH", "EH": "EY",
              "UW": "UH", "UH": "UW", "AO": "AA", "AE": "EH"}  # fmt: skip
# flite's phone set is ARPABET lower case with two more: the reduced vowels.
_FLITE = {"ax": "AH", "axr": "ER"}
_ALTERNATE = re.compile(r"\(\d+\)$")
_VOWELS = frozenset("aeiouy")
_MIN_PIECE = 2  # a one-letter piece is read by letter-to-sound, never as a spelled letter
# Letter-to-sound for English spelling: longest match first. Coarse, a last resort.
_RULES: tuple[tuple[str, Phones], ...] = (
    ("tch", ("CH",)), ("sch", ("SH",)), ("igh", ("AY",)),
    ("ch", ("CH",)), ("sh", ("SH",)), ("th", ("TH",)), ("ph", ("F",)), ("gh", ("G",)),
    ("ck", ("K",)), ("ng", ("NG",)), ("qu", ("K", "W")), ("wh", ("W",)), ("kh", ("K",)),
    ("ee", ("IY",)), ("ea", ("IY",)), ("ie", ("IY",)), ("ei", ("EY",)), ("ai", ("AY",)),
    ("ay", ("EY",)), ("oo", ("UW",)), ("ou", ("AW",)), ("ow", ("OW",)), ("oa", ("OW",)),
    ("oi", ("OY",)), ("oy", ("OY",)), ("au", ("AO",)), ("aw", ("AO",)), ("eu", ("Y", "UW")),
    ("a", ("AA",)), ("b", ("B",)), ("c", ("K",)), ("d", ("D",)), ("e", ("EH",)),
    ("f", ("F",)), ("g", ("G",)), ("h", ("HH",)), ("i", ("IY",)), ("j", ("JH",)),
    ("k", ("K",)), ("l", ("L",)), ("m", ("M",)), ("n", ("N",)), ("o", ("OW",)),
    ("p", ("P",)), ("q", ("K",)), ("r", ("R",)), ("s", ("S",)), ("t", ("T",)),
    ("u", ("UW",)), ("v", ("V",)), ("w", ("W",)), ("x", ("K", "S")), ("y", ("Y",)),
    ("z", ("Z",)),
)  # fmt: skip
_SPELLINGS: tuple[tuple[str, str], ...] = (
    ("ph", "f"), ("kh", "k"), ("q", "k"), ("y", "i"), ("i", "y"), ("k", "c"), ("c", "k"),
    ("ee", "i"), ("ou", "u"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Pronunciation:
    """One way to say a word, and where it came from."""

    phones: Phones
    sources: tuple[Source, ...]  # every source that gave it, the first one first

    @property
    def source(self) -> Source:
        return self.sources[0]


def pronunciations(
    word: str, explicit: Sequence[Phones] = (), limit: int = LIMIT
) -> list[Pronunciation]:
    """Up to ``limit`` distinct pronunciations of ``word`` from every source there is, in
    the order of the module's docstring (``ValueError`` naming a word not of letters)."""
    dictionary = bundled()
    spelling = dictionary.spelling(word)
    found: list[Pronunciation] = []

    def add(phones: Phones | None, source: Source) -> None:
        if not phones or not all(p in PHONES for p in phones):
            return
        for i, known in enumerate(found):
            if known.phones == phones:
                if source not in known.sources:
                    found[i] = Pronunciation(phones, (*known.sources, source))
                return
        if len(found) < limit:
            found.append(Pronunciation(phones, (source,)))

    for phones in explicit:
        add(tuple(phones), "config")
    for phones in dictionary.entries.get(spelling, []):
        add(phones, "dictionary")
    add(flite_reading(spelling), "flite")
    # A word the dictionary knows gets only each source's best reading: guesses beyond
    # those mostly add false alarms (measured: "rain" heard in "dinner is ready").
    known = spelling in dictionary.entries
    model = g2p.packaged()
    for phones in model.pronunciations(spelling, 1 if known else 2) if model else []:
        add(phones, "g2p")
    if not known:
        for phones in dictionary.pronunciations(spelling, 2):
            add(phones, "derived")
        for first in list(found[:2]):
            for phones in variants(first.phones):
                add(phones, "variant")
    return found


def variants(phones: Phones) -> Iterator[Phones]:
    """``phones`` with one vowel swapped for its nearest neighbour, first vowel first."""
    for i, phone in enumerate(phones):
        if phone in _NEIGHBOUR:
            yield (*phones[:i], _NEIGHBOUR[phone], *phones[i + 1 :])


@functools.lru_cache(maxsize=256)
def flite_reading(spelling: str) -> Phones | None:
    """How flite says ``spelling`` (its lexicon, else its letter-to-sound rules), as
    ARPABET; None without the ``flite`` binary or when it fails."""
    flite = shutil.which("flite")
    if flite is None or not re.fullmatch(r"[a-z][a-z'\-]*", spelling):
        return None
    try:
        done = subprocess.run([flite, "-ps", "-t", spelling, "-o", "none"], capture_output=True,
                              text=True, timeout=10, check=True)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    phones = [_FLITE.get(p, p.upper().rstrip("012")) for p in done.stdout.split() if p != "pau"]
    return tuple(phones) or None


class Dictionary:
    """A pronouncing dictionary (``word PHONES`` per line, ``word(2)`` for alternates)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, list[Phones]] = {}
        self._pieces: frozenset[str] | None = None
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) < 2:
                    continue
                word = _ALTERNATE.sub("", parts[0].lower())
                self.entries.setdefault(word, []).append(tuple(parts[1:]))

    @staticmethod
    def spelling(word: str) -> str:
        """``word`` as the dictionary spells it (``ValueError`` naming a word not of letters)."""
        spelling = word.strip().lower()
        if not spelling or not re.fullmatch(r"[a-z][a-z'\-]*", spelling):
            raise ValueError(
                f"cannot pronounce {word!r}: listen for a word of letters a-z "
                "(e.g. 'alex', 'marisol')"
            )
        return spelling

    def pronunciations(self, word: str, limit: int = 3) -> list[Phones]:
        """Up to ``limit`` pronunciations of ``word`` read from this dictionary alone, best
        first (never empty for a word of letters; ``ValueError`` naming the word for one
        with none)."""
        spelling = self.spelling(word)
        if spelling in self.entries:
            return self.entries[spelling][:limit]
        found: list[Phones] = []
        letters = spelling.replace("-", "").replace("'", "")
        for derived in self._derived(letters):
            phones = _final_schwa(letters, derived)
            if phones not in found:
                found.append(phones)
            if len(found) >= limit:
                break
        return found

    def _derived(self, spelling: str) -> Iterator[Phones]:
        for variant in _variants(spelling):
            yield from self.entries.get(variant, [])
        for pieces in self._cuts(spelling)[:2]:
            yield tuple(p for piece in pieces for p in self._read(piece))
        yield letter_to_sound(spelling)

    def _read(self, piece: str) -> Phones:
        known = self.entries.get(piece) if len(piece) >= _MIN_PIECE else None
        return known[0] if known else letter_to_sound(piece)

    def _cuts(self, spelling: str) -> list[list[str]]:
        """Ways to cut ``spelling`` into dictionary words (pieces of at least two letters
        holding a vowel; single letters read by rule), fewest pieces first."""
        if self._pieces is None:
            self._pieces = frozenset(w for w in self.entries if _piece_ok(w))
        return _cuts(spelling, self._pieces)


def _piece_ok(word: str) -> bool:
    return len(word) >= _MIN_PIECE and word.isalpha() and any(c in _VOWELS for c in word)


@functools.lru_cache(maxsize=64)
def _cuts(spelling: str, words: frozenset[str]) -> list[list[str]]:
    n = len(spelling)
    # best[i]: the cheapest cuts of spelling[:i], as (cost, pieces); keep two per prefix.
    best: list[list[tuple[float, list[str]]]] = [[] for _ in range(n + 1)]
    best[0] = [(0.0, [])]
    for end in range(1, n + 1):
        options: list[tuple[float, list[str]]] = []
        for start in range(end):
            piece = spelling[start:end]
            cost = 1.0 if piece in words else 2.5 if end - start == 1 else None
            if cost is None:
                continue
            options += [(c + cost, [*p, piece]) for c, p in best[start]]
        best[end] = sorted(options, key=lambda o: o[0])[:2]
    return [pieces for _, pieces in best[n] if len(pieces) > 1]


def _final_schwa(spelling: str, phones: Phones) -> Phones:
    """A name's final unstressed ``a`` is a schwa (the dictionary's maria, sofia, freya all
    end in AH); pieces and rules read it as the ``a`` of ``father``."""
    if spelling.endswith("a") and phones and phones[-1] in ("AA", "AE"):
        return (*phones[:-1], "AH")
    return phones


def _variants(spelling: str) -> Iterator[str]:
    single = re.sub(r"(.)\1", r"\1", spelling)
    if single != spelling:
        yield single
    for old, new in _SPELLINGS:
        if old in spelling:
            yield spelling.replace(old, new)
    if spelling.endswith("h"):
        yield spelling[:-1]


def letter_to_sound(spelling: str) -> Phones:
    """A plain rule reading of English spelling (a final silent ``e`` dropped)."""
    text = spelling.lower()
    if len(text) > 3 and text.endswith("e") and text[-2] not in _VOWELS:
        text = text[:-1]
    phones: list[str] = []
    i = 0
    while i < len(text):
        for letters, sound in _RULES:
            if text.startswith(letters, i):
                if not (phones and sound == (phones[-1],) and len(sound) == 1):
                    phones.extend(sound)
                i += len(letters)
                break
        else:
            i += 1
    return tuple(phones)


@functools.lru_cache(maxsize=2)
def bundled() -> Dictionary:
    """PocketSphinx's US English dictionary, read once per process."""
    import pocketsphinx

    return Dictionary(Path(pocketsphinx.get_model_path("en-us/cmudict-en-us.dict")))
