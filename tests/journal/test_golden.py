"""Golden journals: every journal an older build wrote opens, folds and replays identically.

``golden/format1`` is the household day as the first journal format stored it (written by
the build before format versions existed). Its ``expected.json`` holds the figures that
build computed from it. A change to a seam record that old rows cannot satisfy makes this
test fail until ``FORMAT`` is bumped and an upcaster added (``prefrontal.journal.upcast``).

One change to ``expected.json`` was made on purpose, by this build: the taint boundary seals a
report or percept that has no provenance (every one in format 1) whole, so eight "recent"
lines of the fold now show handles where they showed the outside world's text. Replay shows
such records to rule policies unsealed, as they were decided, and still agrees.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from golden_figures import figures

from prefrontal import load_config, open_journal, replay
from prefrontal.journal.schema import FORMAT, Version

GOLDEN = Path(__file__).with_name("golden")
pytestmark = pytest.mark.anyio


@pytest.fixture
def format1(tmp_path: Path) -> Path:
    folder = tmp_path / "format1"
    shutil.copytree(GOLDEN / "format1", folder)
    return folder


async def test_a_format_1_journal_opens_folds_and_replays_as_its_build_did(
    format1: Path,
) -> None:
    expected = json.loads((format1 / "expected.json").read_text(encoding="utf-8"))

    found = await figures(format1)

    assert found["states"] == expected["states"]
    assert found["replay"] == expected["replay"]
    assert found["inbox"] == expected["inbox"]
    assert found["costs"] == expected["costs"]
    assert found == expected


async def test_opening_a_format_1_journal_migrates_it_and_keeps_its_rows(format1: Path) -> None:
    config = load_config(format1 / "prefrontal.toml")
    journal = open_journal(config.journal_url())
    try:
        assert journal.format == FORMAT
        assert journal.history == (Version(1, 1), Version(FORMAT, 141))
        assert journal.last_seq() == 140
        assert journal.unreadable() == []
        assert journal.verify() == []
    finally:
        journal.close()
    again = open_journal(config.journal_url())  # a second open migrates nothing
    try:
        assert again.history == (Version(1, 1), Version(FORMAT, 141))
        report = await replay(config, again)
        assert report.ok
    finally:
        again.close()
