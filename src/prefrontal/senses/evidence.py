"""The evidence store: raw windows behind percepts, kept for a while for drill-down.

A sense stores the raw window behind a percept and sends up only its reference. A worker can
later be commissioned to look again at it (a longer window, a second recogniser). The store
is a folder of ``.npz`` files bounded by age and total size; the oldest go first. Asking for
evidence that was evicted raises ``EvidenceGoneError`` naming the bounds to raise.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from prefrontal.errors import UsageError

_REF = re.compile(r"^[a-z0-9][a-z0-9_-]{0,80}$")


class EvidenceGoneError(UsageError):
    """The evidence was evicted (too old, or the store was full) or never existed."""


@dataclass(frozen=True, slots=True)
class Evidence:
    ref: str
    samples: NDArray[np.float32]
    rate: int
    meta: Mapping[str, Any]


class EvidenceStore:
    def __init__(
        self,
        folder: Path,
        *,
        max_age_s: float = 3600.0,
        max_bytes: int = 256 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = folder
        self.max_age_s = max_age_s
        self.max_bytes = max_bytes
        self.clock = clock
        folder.mkdir(parents=True, exist_ok=True)

    def put(
        self, sense: str, samples: NDArray[Any], rate: int, meta: Mapping[str, Any] | None = None
    ) -> str:
        """Keep ``samples`` (frames × channels or a single channel) and return its reference."""
        ref = f"{sense}-{uuid.uuid4().hex[:12]}"
        path = self.folder / f"{ref}.npz"
        np.savez(
            path,
            samples=np.asarray(samples, dtype=np.float32),
            rate=np.int64(rate),
            meta=np.array(json.dumps(dict(meta or {}), default=str)),
        )
        stored = self.clock()
        os.utime(path, (stored, stored))  # the file's age is the store's clock
        self.evict()
        return ref

    def get(self, ref: str) -> Evidence:
        if not _REF.match(ref):
            raise EvidenceGoneError(
                f"evidence reference {ref!r} is malformed; use one a percept gave"
            )
        path = self.folder / f"{ref}.npz"
        if not path.exists():
            raise EvidenceGoneError(
                f"evidence {ref!r} is no longer kept (the store keeps {self.max_age_s:g} s and "
                f"{self.max_bytes:,} bytes); raise [evidence] max_age_s or max_bytes to keep more"
            )
        with np.load(path) as data:
            return Evidence(
                ref=ref,
                samples=data["samples"],
                rate=int(data["rate"]),
                meta=json.loads(str(data["meta"])),
            )

    def evict(self) -> int:
        """Drop what is too old, then the oldest until the store fits; returns how many."""
        files = sorted(self.folder.glob("*.npz"), key=lambda p: p.stat().st_mtime)
        now = self.clock()
        total = sum(p.stat().st_size for p in files)
        dropped = 0
        for path in files:
            too_old = now - path.stat().st_mtime > self.max_age_s
            if not too_old and total <= self.max_bytes:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)
            dropped += 1
        return dropped

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.folder.glob("*.npz"))
