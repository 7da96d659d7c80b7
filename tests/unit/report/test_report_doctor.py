"""The doctor report: one row per check, a conclusion, outputs and a JSON document of the checks."""

from __future__ import annotations

from pipelineops.plan.doctor import Check
from pipelineops.report.doctor import doctor_report


def test_report_rows_conclusion_and_outputs() -> None:
    checks = [Check("a", "pass", "fine"), Check("b", "warn", "hm", "do x"), Check("c", "fail", "bad", "do y")]
    report = doctor_report(checks, env="prod", duration=1.0)
    assert report.conclusion == "failure" and report.title == "1 check(s) failed, 1 warning(s)"
    assert report.sections[0].rows[2] == ("c", "FAIL", "bad", "do y")
    assert dict(report.outputs) == {"fail-count": "1", "warn-count": "1"}
    assert report.data["checks"][1] == {"name": "b", "status": "warn", "detail": "hm", "fix": "do x"}


def test_report_titles_when_nothing_fails() -> None:
    assert doctor_report([Check("a", "pass", "x")], env="dev", duration=0).title == "all 1 checks pass"
    warned = doctor_report([Check("a", "warn", "x")], env="dev", duration=0)
    assert warned.conclusion == "success" and warned.title == "all 1 checks pass (1 warning(s))"
