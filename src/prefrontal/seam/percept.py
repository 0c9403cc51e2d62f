"""Percept: a sense's typed, compressed summary of a stretch of continuous signal."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prefrontal.seam.bounds import Bounds, check_payload, check_text
from prefrontal.seam.taint import Provenance


class Percept(BaseModel):
    """What a sense hands up: never raw signal, always a bounded summary with its evidence.

    ``name`` is the percept's type (``speech``, ``telemetry.anomaly``); ``rendering`` is its
    one-line English form ("a voice, saying your name, to your left"); ``compression`` is raw
    bytes behind it divided by bytes sent up; ``evidence`` references the raw window kept in
    the evidence store for drill-down. ``provenance`` names the tainted paths (``fields.X``,
    ``rendering``) as the sense declared them; ``None`` (a sense that declares nothing, an
    older journal): every free-text field and the rendering are tainted.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["percept"] = "percept"
    percept_id: str
    domain: str
    sense: str
    sense_version: str
    name: str
    fields: dict[str, Any] = Field(default_factory=dict)
    rendering: str
    confidence: float = Field(ge=0.0, le=1.0)
    span: tuple[float, float]
    evidence: str | None = None
    compression: float = Field(default=1.0, gt=0.0)
    at: datetime
    provenance: Provenance | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Percept:
        check_text("percept rendering", self.rendering, Bounds.NOTE)
        check_payload("percept fields", self.fields, Bounds.PAYLOAD // 8)
        return self

    @property
    def thread_id(self) -> str:
        return self.percept_id

    @property
    def source(self) -> Literal["percept"]:
        return "percept"
