"""The `anomaly:` section and `checks.anomaly` of pipelineops.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelineops.config import load_config
from pipelineops.errors import UserError
from pipelineops.plan.anomaly import Settings

BASE = {
    "version": 1,
    "layout": {"consumer_schemas": ["MARTS"]},
    "environments": {"dev": {"engine": "duckdb", "dbt_target": "local_dev"}},
}


def _load(tmp_path: Path, **extra: object) -> object:
    path = tmp_path / "pipelineops.yml"
    path.write_text(yaml.safe_dump({**BASE, **extra}), encoding="utf-8")
    return load_config(path)


def test_defaults_when_absent(tmp_path: Path) -> None:
    cfg = _load(tmp_path)
    assert cfg.anomaly.default == Settings() and dict(cfg.anomaly.models) == {}  # type: ignore[attr-defined]
    assert cfg.checks.anomaly is False  # type: ignore[attr-defined]


def test_defaults_and_per_model_overrides(tmp_path: Path) -> None:
    cfg = _load(
        tmp_path,
        checks={"anomaly": True},
        anomaly={
            "window": 28,
            "min_history": 10,
            "threshold": 4,
            "models": {"MARTS.FCT_ORDERS": {"threshold": 8}, "stg_events": {"skip": True}},
        },
    )
    rules = cfg.anomaly  # type: ignore[attr-defined]
    assert cfg.checks.anomaly is True  # type: ignore[attr-defined]
    assert rules.default == Settings(window=28, min_history=10, threshold=4.0)
    assert rules.for_model("marts.fct_orders") == Settings(window=28, min_history=10, threshold=8.0)
    assert rules.for_model("staging.stg_events").skip


@pytest.mark.parametrize(
    ("anomaly", "needle"),
    [
        ({"min_history": 20}, "anomaly.min_history (20) is above its window (14)"),
        ({"models": {"m": {"window": 3}}}, "anomaly.models.m.min_history (7) is above its window (3)"),
    ],
)
def test_a_min_history_above_the_window_is_refused(tmp_path: Path, anomaly: object, needle: str) -> None:
    with pytest.raises(UserError) as info:
        _load(tmp_path, anomaly=anomaly)
    assert needle in info.value.what and info.value.fix


@pytest.mark.parametrize(
    "anomaly", [{"window": 1}, {"threshold": 0}, {"models": {"m": {"treshold": 3}}}, {"typo": 1}]
)
def test_bad_values_are_refused_by_the_schema(tmp_path: Path, anomaly: object) -> None:
    with pytest.raises(UserError):
        _load(tmp_path, anomaly=anomaly)
