from __future__ import annotations

import datetime as dt
import json
from pathlib import PurePosixPath

from pipelineops.report.json_out import SCHEMA_VERSION, render_json, report_to_dict
from pipelineops.report.model import StageReport


def test_render_json_has_every_key_in_a_fixed_order(deploy_report: StageReport) -> None:
    payload = json.loads(render_json(deploy_report))
    assert list(payload) == [
        "schema_version",
        "stage",
        "conclusion",
        "title",
        "duration_s",
        "run_url",
        "facts",
        "outputs",
        "annotations",
        "sections",
        "failures",
        "advice",
        "data",
    ]
    assert payload["schema_version"] == SCHEMA_VERSION
    assert payload["facts"] == {"environment": "prod", "colour": "GREEN", "deploy id": "d-42"}
    assert payload["outputs"] == {"deploy-id": "d-42", "colour": "GREEN"}
    assert payload["annotations"] == [
        {"level": "warning", "message": "model x is slow", "title": "Slow", "file": "models/x.sql", "line": 3}
    ]
    assert payload["sections"][0]["rows"] == [["row counts", "ok"], ["freshness", "ok | 3 h"]]
    assert payload["sections"][1]["collapsed"] is True
    assert payload["data"] == {"deploy_id": "d-42", "models": ["a", "b"]}


def test_render_json_is_deterministic_and_keeps_unicode() -> None:
    report = StageReport(
        "status",
        "neutral",
        "état",
        data={
            "z": 1,
            "a": {2: "x", 1: None},
            "when": dt.date(2024, 1, 2),
            "path": PurePosixPath("a/b"),
            "tags": {"b", "a"},
            "ok": True,
            "ratio": 0.5,
        },
    )
    text = render_json(report)
    assert text == render_json(report) and text.endswith("}\n")
    assert '"état"' in text
    data = report_to_dict(report)["data"]
    assert data == {
        "a": {"1": None, "2": "x"},
        "ok": True,
        "path": "a/b",
        "ratio": 0.5,
        "tags": ["a", "b"],
        "when": "2024-01-02",
        "z": 1,
    }
    assert isinstance(data, dict)
    assert list(data) == ["a", "ok", "path", "ratio", "tags", "when", "z"]
