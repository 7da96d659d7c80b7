"""The CLI: help for every stage, exit codes 0/1/2/3/130, and user errors that never show a traceback."""

from __future__ import annotations

import importlib
import inspect
import io
import logging
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from pipelineops import __version__
from pipelineops.cli import main
from pipelineops.cli_stages import STAGES
from pipelineops.commands import freshness, parity_check
from pipelineops.config import Config
from pipelineops.errors import CheckFailed, PipelineOpsError, UserError
from pipelineops.report.model import StageReport

REPO_ROOT = Path(__file__).resolve().parents[2]
STAGE_NAMES = (
    "pr-schema",
    "slim-ci",
    "data-diff",
    "bluegreen-swap",
    "backfill",
    "rollback",
    "schema-cleanup",
    "parity-check",
    "freshness",
    "anomaly",
    "status",
    "protect-branch",
    "doctor",
    "init",
    "demo",
)
VALID = "version: 1\nenvironments:\n  dev: {engine: duckdb, dbt_target: local_dev}\n  prod: {engine: duckdb, dbt_target: local_prod}\n"
MALFORMED = "version: 1\nenviroments:\n  prod: {engine: duckdb, dbt_target: local_prod}\n"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``main`` reconfigures the root logger onto the stream it was given; put it back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def run(argv: list[str], environ: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, environ=dict(environ or {}), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def valid_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "pipelineops.yml"
    path.write_text(VALID, encoding="utf-8")
    return path


@pytest.fixture
def gha(tmp_path: Path) -> dict[str, str]:
    """A GitHub Actions environment whose step summary is a file in tmp_path."""
    summary = tmp_path / "summary.md"
    summary.touch()
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}


# --- help and parsing ---------------------------------------------------------------------------------


def test_stage_table_is_the_documented_set() -> None:
    assert tuple(s.name for s in STAGES) == STAGE_NAMES


def test_help_lists_every_stage_with_its_summary() -> None:
    code, out, err = run(["--help"])
    assert code == 0
    assert err == ""
    assert out.startswith("usage: pipelineops")
    for stage in STAGES:
        assert stage.name in out
        assert stage.summary.split(" (")[0][:40] in " ".join(out.split())


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_each_stage_help_exits_0_and_describes_it(stage: Any) -> None:
    code, out, _ = run([stage.name, "--help"])
    assert code == 0
    assert out.startswith(f"usage: pipelineops {stage.name}")
    assert stage.description.splitlines()[0] in out
    assert "--config" in out and "--dry-run" in out  # the common options, defined once


def test_version() -> None:
    code, out, _ = run(["--version"])
    assert (code, out.strip()) == (0, f"pipelineops {__version__}")


def test_unknown_subcommand_is_a_usage_error() -> None:
    code, out, err = run(["deploy-everything"])
    assert code == 2
    assert "invalid choice: 'deploy-everything'" in err
    assert "Traceback" not in err + out


def test_missing_subcommand_is_a_usage_error() -> None:
    code, _, err = run([])
    assert code == 2
    assert "STAGE" in err


def test_bad_option_value_is_a_usage_error() -> None:
    code, _, err = run(["status", "--env", "qa"])
    assert code == 2
    assert "invalid choice: 'qa'" in err


# --- configuration errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["bluegreen-swap", "status", "freshness"])
def test_malformed_config_exits_2_with_one_line_and_creates_no_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "pipelineops.yml"
    config.write_text(MALFORMED, encoding="utf-8")
    code, out, err = run([stage, "--config", str(config), "--env", "prod"])
    assert code == 2
    first = err.splitlines()[0]
    assert first == f"pipelineops {stage}: pipelineops.yml: unknown key 'enviroments' in (top level)"
    assert "  fix: remove or rename it; allowed keys here:" in err
    assert "Traceback" not in err + out
    assert not list(tmp_path.rglob(".pipelineops"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipelineops.yml"]


def test_missing_config_file_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["status"])
    assert code == 2
    assert "pipelineops.yml not found" in err.splitlines()[0]
    assert "Traceback" not in err + out
    assert list(tmp_path.iterdir()) == []


def test_user_error_goes_to_stderr_annotation_and_summary(tmp_path: Path, gha: dict[str, str]) -> None:
    config = tmp_path / "pipelineops.yml"
    config.write_text(MALFORMED, encoding="utf-8")
    code, out, err = run(["status", "--config", str(config)], gha)
    assert code == 2
    assert "unknown key 'enviroments'" in err
    assert out.startswith("::error title=pipelineops status::pipelineops.yml: unknown key")
    summary = Path(gha["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.startswith("### ❌ Failure · status — pipelineops.yml: unknown key")
    assert "#### What to do" in summary
    assert "unknown key 'enviroments'" in summary


# --- stages not implemented yet --------------------------------------------------------------------------

#: The arguments each stage needs to get past argument parsing.
STAGE_ARGS: dict[str, list[str]] = {
    "pr-schema": ["create", "--pr", "7"],
    "slim-ci": ["--pr", "7"],
    "data-diff": ["--pr", "7"],
    "schema-cleanup": ["--pr", "7"],
}


def test_every_stage_is_implemented() -> None:
    """No stage answers "not implemented": each command module does its work (no stub left behind)."""
    for stage in STAGES:
        module = importlib.import_module(f"pipelineops.commands.{stage.module}")
        assert "not implemented" not in inspect.getsource(module), stage.name


# --- what reaches the command, and the exit codes ----------------------------------------------------------


def _recorder(calls: list[dict[str, Any]], result: StageReport | BaseException) -> Any:
    def fake_run(**kwargs: Any) -> StageReport:
        calls.append(kwargs)
        if isinstance(result, BaseException):
            raise result
        return result

    return fake_run


def test_named_values_reach_the_command(valid_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(freshness, "run", _recorder(calls, StageReport("freshness", "success", "fresh")))
    code, out, _ = run(["--config", str(valid_config), "freshness", "--dry-run"], {"X": "1"})
    assert code == 0
    assert "fresh" in out
    (kw,) = calls
    assert isinstance(kw["config"], Config) and kw["config"].path == valid_config.resolve()
    assert (kw["env_name"], kw["dry_run"], kw["environ"]) == ("prod", True, {"X": "1"})
    assert set(kw) == {"config", "env_name", "dry_run", "reporter", "environ", "select", "fail_on"}
    assert (kw["select"], kw["fail_on"]) == (None, "error")


def test_stage_default_env_and_explicit_env(valid_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(parity_check, "run", _recorder(calls, StageReport("parity-check", "success", "ok")))
    assert run(["parity-check", "--config", str(valid_config)])[0] == 0
    assert run(["parity-check", "--config", str(valid_config), "--env", "dev"])[0] == 0
    assert [(c["env_name"], c["dry_run"]) for c in calls] == [("staging", False), ("dev", False)]


def test_failure_conclusion_exits_1(valid_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = StageReport("freshness", "failure", "2 sources are stale")
    monkeypatch.setattr(freshness, "run", _recorder([], report))
    code, out, _ = run(["freshness", "--config", str(valid_config)])
    assert code == 1
    assert "2 sources are stale" in out


def test_json_output(valid_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freshness, "run", _recorder([], StageReport("freshness", "success", "fresh")))
    code, out, _ = run(["freshness", "--json", "--config", str(valid_config)])
    assert code == 0
    assert '"conclusion": "success"' in out


def test_check_failed_exits_1(
    valid_config: Path, monkeypatch: pytest.MonkeyPatch, gha: dict[str, str]
) -> None:
    exc = CheckFailed("row count of fct_orders fell 80%", fix="look at the loader", runbook="gates.md")
    monkeypatch.setattr(freshness, "run", _recorder([], exc))
    code, out, err = run(["freshness", "--config", str(valid_config)], gha)
    assert code == 1
    assert err.splitlines()[0] == "pipelineops freshness: row count of fct_orders fell 80%"
    assert "runbook: runbooks/gates.md" in err
    assert "::error title=pipelineops freshness::row count of fct_orders fell 80%" in out
    assert "Traceback" not in err + out


def test_user_error_from_a_command_exits_2_even_with_debug(
    valid_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(freshness, "run", _recorder([], UserError("SNOWFLAKE_PRIVATE_KEY is not set")))
    code, _, err = run(["freshness", "--debug", "--config", str(valid_config)])
    assert code == 2
    assert "SNOWFLAKE_PRIVATE_KEY is not set" in err


def test_unexpected_error_exits_3_with_diagnostics_in_step_summary(
    valid_config: Path, monkeypatch: pytest.MonkeyPatch, gha: dict[str, str]
) -> None:
    monkeypatch.setattr(freshness, "run", _recorder([], RuntimeError("warehouse fell over")))
    code, out, err = run(["freshness", "--config", str(valid_config)], gha)
    assert code == 3
    assert "Traceback (most recent call last)" in err
    assert "RuntimeError: warehouse fell over" in err
    assert out.startswith("::error::unexpected error: RuntimeError('warehouse fell over')")
    summary = Path(gha["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "### pipelineops failed unexpectedly" in summary
    assert "RuntimeError: warehouse fell over" in summary
    assert "<details><summary>Diagnostics" in summary and "</details>" in summary
    assert "pipelineops" in summary and "python" in summary.lower()


def test_unexpected_error_propagates_with_debug(valid_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freshness, "run", _recorder([], RuntimeError("warehouse fell over")))
    with pytest.raises(RuntimeError, match="warehouse fell over"):
        run(["freshness", "--debug", "--config", str(valid_config)])


def test_base_error_exits_3_and_propagates_with_debug(
    valid_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``PipelineOpsError`` that is neither a check nor a user error is unexpected: exit 3."""
    monkeypatch.setattr(freshness, "run", _recorder([], PipelineOpsError("journal is inconsistent")))
    code, _, err = run(["freshness", "--config", str(valid_config)])
    assert code == 3
    assert "journal is inconsistent" in err
    with pytest.raises(PipelineOpsError):
        run(["freshness", "--debug", "--config", str(valid_config)])


def test_keyboard_interrupt_exits_130(valid_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freshness, "run", _recorder([], KeyboardInterrupt()))
    code, _, err = run(["freshness", "--config", str(valid_config)])
    assert code == 130
    assert err == "interrupted\n"


# --- the installed console script --------------------------------------------------------------------------


def _console_script() -> Path:
    script = Path(sys.executable).parent / "pipelineops"
    assert script.is_file(), f"console script missing next to {sys.executable}; pip install -e ."
    return script


def test_console_script_prints_version() -> None:
    done = subprocess.run(
        [str(_console_script()), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"pipelineops {__version__}")


def test_console_script_exit_code_for_a_malformed_config(tmp_path: Path) -> None:
    config = tmp_path / "pipelineops.yml"
    config.write_text(MALFORMED, encoding="utf-8")
    done = subprocess.run(
        [str(_console_script()), "status", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 2
    assert "unknown key 'enviroments'" in done.stderr
    assert "Traceback" not in done.stderr
