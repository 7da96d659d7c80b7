from __future__ import annotations

import dataclasses

import pytest

from pipelineops.report.model import CONCLUSIONS, StageReport, format_duration


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0.04, "0.0 s"), (41.24, "41.2 s"), (59.9, "59.9 s"), (185, "3 min 5 s"), (3725, "1 h 2 min")],
)
def test_format_duration_picks_the_unit_by_magnitude(seconds: float, expected: str) -> None:
    assert format_duration(seconds) == expected


def test_stage_report_is_frozen_and_has_empty_defaults() -> None:
    report = StageReport(stage="status", conclusion="skipped", title="nothing to do")
    assert (report.facts, report.sections, report.annotations, report.outputs) == ((), (), (), ())
    assert report.data == {} and report.duration_s is None and report.run_url is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.title = "changed"  # type: ignore[misc]


def test_conclusions_lists_every_literal_value() -> None:
    assert set(CONCLUSIONS) == {"success", "failure", "skipped", "neutral", "cancelled"}
