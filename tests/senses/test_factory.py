"""The config's hearing section reaches the sense the factory builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from prefrontal.config import parse_config
from prefrontal.errors import ConfigError
from prefrontal.senses.factory import build_senses, open_evidence
from prefrontal.senses.hearing.sense import HearingSense


def _hearing(tmp_path: Path, **settings: object) -> HearingSense:
    data = {
        "journal": {"url": f"sqlite:///{tmp_path / 'j.db'}"},
        "principal": {"name": "Alex"},
        "senses": {"ears": {"kind": "hearing", "source": "scene:household", **settings}},
        "domains": {
            "home": {
                "charter": "the house",
                "policy": "prefrontal.testing:echo",
                "senses": ["ears"],
            }
        },
    }
    config = parse_config(data, source="prefrontal.toml", base_dir=tmp_path)
    sense = build_senses(config, open_evidence(config))["ears"]
    assert isinstance(sense, HearingSense)
    return sense


def test_hearing_words_live_is_off_unless_the_config_asks(tmp_path: Path) -> None:
    assert _hearing(tmp_path).live_after_s is None
    live = _hearing(tmp_path, live_after_s=1.0, block_s=0.05)
    assert (live.live_after_s, live.block_s) == (1.0, 0.05)


def test_a_live_start_too_early_to_set_the_mean_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="live_after_s"):
        _hearing(tmp_path, live_after_s=0.1)
