"""Build the senses declared in ``[senses.NAME]`` from their config."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from prefrontal.config import Config, HearingSenseConfig, SenseConfig, TelemetrySenseConfig
from prefrontal.errors import ConfigError
from prefrontal.senses.base import Sense
from prefrontal.senses.evidence import EvidenceStore
from prefrontal.senses.sources import named
from prefrontal.senses.telemetry.sources import Flagged, Sample


def open_evidence(config: Config) -> EvidenceStore:
    spec = config.evidence
    return EvidenceStore(
        config.base_dir / spec.folder, max_age_s=spec.max_age_s, max_bytes=spec.max_bytes
    )


def build_senses(config: Config, evidence: EvidenceStore) -> dict[str, Sense]:
    return {
        name: build_sense(name, spec, config=config, evidence=evidence)
        for name, spec in config.senses.items()
        if any(name in d.senses for d in config.domains.values())
    }


def build_sense(name: str, spec: SenseConfig, *, config: Config, evidence: EvidenceStore) -> Sense:
    if isinstance(spec, TelemetrySenseConfig):
        from prefrontal.senses.telemetry.sense import TelemetrySense

        return TelemetrySense(
            name, _telemetry(name, spec, config), evidence=evidence, channels=spec.channels
        )
    from prefrontal.senses.hearing.keywords import KeywordSpotter
    from prefrontal.senses.hearing.sense import HearingSense

    principal = config.principal
    said = [tuple(p.split()) for p in principal.name_pronunciations]
    return HearingSense(
        name,
        _audio_path(name, spec, config),
        spacing_m=spec.spacing_m,
        channels=spec.channels,
        listen_for=spec.listen_for or (principal.name.lower(),),
        principal=principal.name,
        block_s=spec.block_s,
        live_after_s=spec.live_after_s,
        evidence=evidence,
        spotter=KeywordSpotter(explicit={principal.name.lower(): said}),
    )


def _audio_path(name: str, spec: HearingSenseConfig, config: Config) -> Path:
    if spec.source.startswith("scene:"):
        return named.scene(spec.source.removeprefix("scene:"))
    return config.base_dir / spec.source


def _telemetry(name: str, spec: TelemetrySenseConfig, config: Config) -> Iterable[Sample | Flagged]:
    from prefrontal.senses.telemetry import sources

    if spec.source.startswith("generate:"):
        return named.telemetry(spec.source.removeprefix("generate:"))
    path = config.base_dir / spec.source
    if path.suffix == ".csv":
        return sources.read_csv(path)
    if path.suffix == ".jsonl":
        return sources.read_jsonl(path)
    raise ConfigError(
        f"{config.source}: [senses.{name}] source = {spec.source!r}: expected a .csv or "
        ".jsonl file, or 'generate:NAME'"
    )
