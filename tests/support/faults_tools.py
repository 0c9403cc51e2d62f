"""Tool functions for ``test_faults.py``, importable by name so worker processes can run them."""

from __future__ import annotations

import time


def spin(seconds: float) -> float:
    """Block for ``seconds``: a sync tool that ignores every deadline on its own."""
    time.sleep(seconds)
    return seconds
