"""Pronunciations from a learnt grapheme-to-phoneme model whose weights ship in a package.

``NeuralG2p`` runs the sequence-to-sequence model of ``g2p-en`` (a GRU encoder over letters
and a GRU decoder over ARPABET phones, trained on CMU's dictionary; its weights are the
``checkpoint20.npz`` inside that package) in numpy, with a small beam so it gives several
pronunciations, best first. It reads the weights file and never imports ``g2p_en`` itself:
importing that module downloads NLTK data at run time, which nothing here may do.
``available()`` is false when the package (the ``names`` extra) is not installed.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
_LETTERS = ("<pad>", "<unk>", "</s>", *"abcdefghijklmnopqrstuvwxyz")
_PHONES = (
    "<pad>", "<unk>", "<s>", "</s>",
    *[f"{v}{s}" for v in ("AA", "AE", "AH", "AO", "AW", "AY") for s in "012"],
    "B", "CH", "D", "DH", "EH0", "EH1", "EH2", "ER0", "ER1", "ER2", "EY0", "EY1", "EY2", "F", "G",
    "HH", "IH0", "IH1", "IH2", "IY0", "IY1", "IY2", "JH", "K", "L", "M", "N", "NG", "OW0", "OW1",
    "OW2", "OY0", "OY1", "OY2", "P", "R", "S", "SH", "T", "TH", "UH0", "UH1", "UH2", "UW", "UW0",
    "UW1", "UW2", "V", "W", "Y", "Z", "ZH",
)  # fmt: skip
_START, _END = 2, 3
_MAX_PHONES = 20


def _weights_path() -> Path | None:
    spec = importlib.util.find_spec("g2p_en")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "checkpoint20.npz"
    return path if path.exists() else None


def available() -> bool:
    """Whether ``g2p-en``'s weights are installed (``pip install 'prefrontal[names]'``)."""
    return _weights_path() is not None


@dataclass(frozen=True, slots=True)
class _Gru:
    w_ih: Array
    w_hh: Array
    b_ih: Array
    b_hh: Array

    def step(self, x: Array, h: Array) -> Array:
        gi = x @ self.w_ih.T + self.b_ih
        gh = h @ self.w_hh.T + self.b_hh
        size = h.shape[-1]
        r = _sigmoid(gi[..., :size] + gh[..., :size])
        z = _sigmoid(gi[..., size : 2 * size] + gh[..., size : 2 * size])
        n = np.tanh(gi[..., 2 * size :] + r * gh[..., 2 * size :])
        return (1 - z) * n + z * h


def _sigmoid(x: Array) -> Array:
    return 1 / (1 + np.exp(-x))


class NeuralG2p:
    """``g2p-en``'s model, run in numpy from its packaged weights."""

    def __init__(self, path: Path) -> None:
        with np.load(path) as stored:
            v = {key: np.asarray(stored[key], dtype=np.float64) for key in stored.files}
        self._enc_emb = v["enc_emb"]
        self._encoder = _Gru(v["enc_w_ih"], v["enc_w_hh"], v["enc_b_ih"], v["enc_b_hh"])
        self._dec_emb = v["dec_emb"]
        self._decoder = _Gru(v["dec_w_ih"], v["dec_w_hh"], v["dec_b_ih"], v["dec_b_hh"])
        self._fc_w, self._fc_b = v["fc_w"], v["fc_b"]

    def pronunciations(self, word: str, beam: int = 3) -> list[tuple[str, ...]]:
        """Up to ``beam`` pronunciations of ``word`` (letters a-z), best first, as ARPABET
        phones without stress marks."""
        letters = [_LETTERS.index(c) if c in _LETTERS else 1 for c in word.lower() if c.isalpha()]
        h = np.zeros((1, self._encoder.w_hh.shape[1]))
        for index in [*letters, _LETTERS.index("</s>")]:
            h = self._encoder.step(self._enc_emb[index][None, :], h)
        beams: list[tuple[float, list[int], Array]] = [(0.0, [_START], h)]
        done: list[tuple[float, list[int]]] = []
        for _ in range(_MAX_PHONES):
            grown: list[tuple[float, list[int], Array]] = []
            for score, seq, state in beams:
                state = self._decoder.step(self._dec_emb[seq[-1]][None, :], state)
                logits = (state @ self._fc_w.T + self._fc_b)[0]
                logp = logits - np.log(np.sum(np.exp(logits - logits.max()))) - logits.max()
                for nxt in np.argsort(-logp)[:beam]:
                    grown.append((score + float(logp[nxt]), [*seq, int(nxt)], state))
            grown.sort(key=lambda b: -b[0])
            beams = []
            for score, seq, state in grown[:beam]:
                if seq[-1] == _END:
                    done.append((score, seq))
                else:
                    beams.append((score, seq, state))
            if not beams or len(done) >= beam:
                break
        done.sort(key=lambda d: -d[0])
        found: list[tuple[str, ...]] = []
        for _, seq in done[:beam]:
            phones = tuple(_PHONES[i].rstrip("012") for i in seq[1:-1] if i > _END)
            if phones and phones not in found:
                found.append(phones)
        return found


@functools.lru_cache(maxsize=1)
def packaged() -> NeuralG2p | None:
    """The model from the installed ``g2p-en`` package, loaded once; None without it."""
    path = _weights_path()
    return NeuralG2p(path) if path is not None else None
