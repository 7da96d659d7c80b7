"""What the CLI prints and how it exits: one JSON document with --json, exit codes kept with --debug."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pipelineops import cli
from pipelineops.commands import freshness
from pipelineops.errors import PipelineOpsError, UserError
from pipelineops.report.model import StageReport
from pipelineops.report.reporter import Reporter

VALID = "version: 1\nenvironments:\n  dev: {engine: duckdb, dbt_target: local_dev}\n  prod: {engine: duckdb, dbt_target: local_prod}\n"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "pipelineops.yml"
    path.write_text(VALID, encoding="utf-8")
    return path


def chatty(result: StageReport | BaseException) -> Any:
    """A command that talks while it works (a dbt group banner, a warning), like slim-ci's `dbt ls`."""

    def fake_run(*, reporter: Reporter, **_: Any) -> StageReport:
        with reporter.group("dbt ls --select state:modified+"):
            reporter.warning("no production manifest: every node builds")
        if isinstance(result, BaseException):
            raise result
        return result

    return fake_run


def run(argv: list[str], environ: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(argv, environ=environ or {}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("environ", [{}, {"GITHUB_ACTIONS": "true"}])
def test_json_prints_exactly_one_document_and_banners_go_to_stderr(
    config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, environ: dict[str, str]
) -> None:
    if environ:
        environ = {
            **environ,
            "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md"),
            "GITHUB_OUTPUT": str(tmp_path / "o"),
        }
    monkeypatch.setattr(
        freshness, "run", chatty(StageReport("freshness", "success", "fresh", outputs=(("n", "1"),)))
    )
    code, out, err = run(["freshness", "--json", "--config", str(config)], environ)
    assert code == 0
    assert json.loads(out)["conclusion"] == "success"  # the whole of stdout is one document
    assert "── dbt ls" in err or "::group::dbt ls" in err


def test_json_error_is_one_document_with_the_fix(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        freshness, "run", chatty(UserError("bad target", fix="set environments.prod.dbt_target"))
    )
    code, out, err = run(["freshness", "--json", "--config", str(config)])
    assert code == 2
    doc = json.loads(out)
    assert doc["error"] == {
        "what": "bad target",
        "why": "",
        "fix": "set environments.prod.dbt_target",
        "runbook": "",
        "exit_code": 2,
    }
    assert "bad target" in err


def test_json_unexpected_error_is_one_document(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freshness, "run", chatty(RuntimeError("boom")))
    code, out, _ = run(["freshness", "--json", "--config", str(config)])
    assert code == 3 and json.loads(out)["error"]["exit_code"] == 3


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (PipelineOpsError("cannot reach x.snowflakecomputing.com"), 3),
        (UserError("bad key"), 2),
        (RuntimeError("bug"), 3),
    ],
)
def test_debug_keeps_the_exit_code(
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    expected: int,
) -> None:
    monkeypatch.setattr(freshness, "run", chatty(error))
    monkeypatch.setattr(sys, "argv", ["pipelineops", "freshness", "--debug", "--config", str(config)])
    with pytest.raises(SystemExit) as exited:
        cli.console_main()
    assert exited.value.code == expected
    assert str(error) in capsys.readouterr().err


@pytest.mark.parametrize(
    "error",
    [
        PermissionError(13, "Permission denied", "/srv/wh/catalog.ducklake"),
        OSError(30, "Read-only file system", "/srv/wh/catalog.ducklake"),
        PipelineOpsError('IO Error: Cannot open file "/srv/wh/catalog.ducklake": Permission denied'),
    ],
)
def test_a_write_refused_by_the_file_system_names_the_path_and_the_fix(
    config: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    monkeypatch.setattr(freshness, "run", chatty(error))
    code, _, err = run(["freshness", "--config", str(config)])
    assert code == 2, err
    assert "permission denied: /srv/wh/catalog.ducklake" in err
    assert "environments.<env>.local_dir" in err and "Traceback" not in err


def test_other_os_errors_stay_unexpected(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freshness, "run", chatty(OSError(28, "No space left on device", "/srv/wh")))
    code, _, err = run(["freshness", "--config", str(config)])
    assert code == 3 and "No space left on device" in err
