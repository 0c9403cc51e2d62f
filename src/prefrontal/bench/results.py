"""What a ceilings run is asked for (``Plan``) and what it found (``Results``).

Plain records shared by the runner (``ceilings.py``), the tables and summary
(``report.py``) and the plots (``plots.py``); this module imports no topology.
"""

from __future__ import annotations

from dataclasses import dataclass

from prefrontal.bench.figures import Figures
from prefrontal.bench.parts import CAPABLE, CHEAP

NAMES: tuple[str, ...] = ("monolith", "flat", "two-tier")
"""The topologies, in the order every table and plot shows them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What to run: the seed, the days of history, and the domain counts to sweep."""

    seed: int = 7
    days: int = 30
    domains: tuple[int, ...] = (3, 6, 10, 16)

    @property
    def base(self) -> int:
        """The domain count the history figures are drawn for (the issue's default, 3)."""
        return min(self.domains)


FULL = Plan()
QUICK = Plan(days=7, domains=(3, 16))


@dataclass(frozen=True, slots=True, kw_only=True)
class Results:
    plan: Plan
    figures: tuple[Figures, ...]
    seconds: float
    capable: str = CAPABLE
    cheap: str = CHEAP

    def of(self, topology: str, domains: int) -> Figures:
        return next(f for f in self.figures if f.topology == topology and f.domains == domains)

    def series(self, topology: str) -> list[Figures]:
        return sorted((f for f in self.figures if f.topology == topology), key=lambda f: f.domains)
