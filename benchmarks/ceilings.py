"""The three ceilings: two-tier against a monolith and a flat network, on scripted models.

A thin script over ``prefrontal.bench`` (the same code as ``prefrontal bench ceilings``):
it plays one seeded month of a personal system through each topology for each domain count,
reads every figure back from the run's journal, prints the table and the aims, and writes
``figures.json``, ``summary.md`` and PNG plots to the results folder.

Run: ``python benchmarks/ceilings.py [--quick] [--out DIR] [--days N] [--domains 3,6,10,16]``.
"""

from __future__ import annotations

import sys

from prefrontal.cli import app

if __name__ == "__main__":
    app(["bench", "ceilings", *sys.argv[1:]])
