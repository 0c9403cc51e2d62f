"""Text made safe to show a person, on a terminal or a web page.

Text that reaches the principal (replies, escalations, journal lines, error messages) may
quote the outside world. ``printable`` keeps its words and removes its power: control
characters and ANSI/OSC escape sequences become visible escapes (``\\x1b``), bidirectional
overrides, zero-width and Unicode tag characters are removed. It never interprets markup:
the CLI prints the result as plain rich ``Text`` (never rich markup) and the web page inserts
it as text (never HTML), so ``[link=...]`` or ``<script>`` stay the characters they are.
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional embeddings, overrides and isolates, marks that reorder text.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Invisible characters that can hide text: zero-width spaces and joiners, word joiner, BOM.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad")
_KEPT = frozenset("\n\t")
_UNSAFE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
    r"\U000e0000-\U000e007f]"
)


def _replace(match: re.Match[str]) -> str:
    char = match.group()
    if char in _KEPT:
        return char
    if char in _BIDI or char in _INVISIBLE or unicodedata.category(char) == "Cf":
        return ""
    return f"\\x{ord(char):02x}"


def printable(text: str, *, one_line: bool = False) -> str:
    """``text`` with nothing a terminal or browser would act on; ``one_line`` folds newlines."""
    safe = _UNSAFE.sub(_replace, text)
    if one_line:
        safe = " ".join(safe.split())
    return safe


__all__ = ["printable"]
