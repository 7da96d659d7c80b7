"""scripts/run-stage.sh: refuses what it cannot run, with a workflow error; installs once and reuses the venv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "run-stage.sh"
VENV = Path(sys.prefix)


def run(
    *args: str, env: dict[str, str] | None = None, script: Path = SCRIPT
) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "RUNNER_OS": "Linux"}
    return subprocess.run(
        ["bash", str(script), *args], env={**base, **(env or {})}, capture_output=True, text=True, timeout=900
    )


@pytest.mark.parametrize("runner_os", ["Windows", "MINGW64_NT-10.0", "FreeBSD"])
def test_unsupported_runner_fails_fast_with_a_workflow_error(runner_os: str) -> None:
    proc = run("bluegreen-swap", env={"RUNNER_OS": runner_os, "PIPELINEOPS_VENV": str(VENV)})
    assert proc.returncode == 2
    assert proc.stdout.startswith(f"::error title=pipelineops::unsupported runner OS '{runner_os}'")
    assert "runs-on: ubuntu-latest" in proc.stderr


def test_python_older_than_3_11_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "python3"
    fake.write_text(
        '#!/bin/bash\nif [ "$1" = --version ]; then echo "Python 3.9.18"; exit 0; fi\nexit 1\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    proc = run("bluegreen-swap", env={"PIPELINEOPS_PYTHON": str(fake), "RUNNER_TEMP": str(tmp_path)})
    assert proc.returncode == 2
    assert "::error title=pipelineops::Python 3.9.18 is too old" in proc.stdout
    assert "actions/setup-python" in proc.stdout
    assert not list(tmp_path.glob("pipelineops-venv-*"))


def test_missing_python_is_refused(tmp_path: Path) -> None:
    proc = run("rollback", env={"PIPELINEOPS_PYTHON": str(tmp_path / "nope"), "RUNNER_TEMP": str(tmp_path)})
    assert proc.returncode == 2
    assert "need Python >= 3.11" in proc.stdout


@pytest.mark.parametrize("args", [[], ["a", "b"], ["--force"], ["Bluegreen"], ["x;id"], ["../x"]])
def test_bad_arguments_are_refused(args: list[str]) -> None:
    proc = run(*args, env={"PIPELINEOPS_VENV": str(VENV)})
    assert proc.returncode == 2
    assert proc.stdout.startswith("::error title=pipelineops::")


def test_a_venv_without_pipelineops_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    os.symlink(shutil.which("true") or "/bin/true", tmp_path / "bin" / "python")
    proc = run("rollback", env={"PIPELINEOPS_VENV": str(tmp_path / "missing")})
    assert proc.returncode == 2 and "has no bin/python" in proc.stdout
    (tmp_path / "bin" / "python").unlink()
    os.symlink(shutil.which("false") or "/bin/false", tmp_path / "bin" / "python")
    proc = run("rollback", env={"PIPELINEOPS_VENV": str(tmp_path)})
    assert proc.returncode == 2 and "does not have pipelineops installed" in proc.stdout


def test_with_an_existing_venv_the_inputs_reach_the_cli(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {
        "PIPELINEOPS_VENV": str(VENV),
        "PIPELINEOPS_IN_MODE": "undo",
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    proc = run("rollback", env=env)
    assert proc.returncode == 2
    assert (
        "::error title=pipelineops action inputs::input `mode` must be one of republish, time-travel"
        in proc.stdout
    )
    assert "invalid action input" in summary.read_text(encoding="utf-8")


@pytest.mark.e2e
def test_installs_once_then_reuses_the_venv_and_reinstalls_only_changed_source(tmp_path: Path) -> None:
    """The real install path (pip from the configured index): create, reuse, and pick up a source change."""
    root = tmp_path / "checkout"
    root.mkdir()
    for name in ("pyproject.toml", "action.yml"):
        shutil.copy(REPO / name, root / name)
    for folder in ("requirements", "actions"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    (root / "scripts").mkdir()
    shutil.copy(SCRIPT, root / "scripts" / "run-stage.sh")
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    output = tmp_path / "output"
    env = {"RUNNER_TEMP": str(temp), "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output)}
    script = root / "scripts" / "run-stage.sh"

    first = run("--install-only", env=env, script=script)
    assert first.returncode == 0, first.stdout + first.stderr
    (venv,) = temp.glob("pipelineops-venv-*")
    exe = venv / "bin" / "pipelineops"
    assert f"\n{exe}\n" in output.read_text(encoding="utf-8")
    assert subprocess.run([str(exe), "--version"], capture_output=True, text=True).returncode == 0
    requirements_stamp = (venv / ".requirements-installed").stat().st_mtime_ns
    source_stamp = (venv / ".pipelineops-source").read_text(encoding="utf-8")

    started = time.monotonic()
    second = run("--install-only", env=env, script=script)
    assert second.returncode == 0, second.stderr
    assert time.monotonic() - started < 15
    assert (venv / ".requirements-installed").stat().st_mtime_ns == requirements_stamp
    assert (venv / ".pipelineops-source").read_text(encoding="utf-8") == source_stamp
    assert list(temp.glob("pipelineops-venv-*")) == [venv]

    init = root / "src" / "pipelineops" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "\nACTION_REF_MARKER = 1\n", encoding="utf-8")
    third = run("--install-only", env=env, script=script)
    assert third.returncode == 0, third.stderr
    assert (venv / ".requirements-installed").stat().st_mtime_ns == requirements_stamp
    assert (venv / ".pipelineops-source").read_text(encoding="utf-8") != source_stamp
    probe = [str(venv / "bin" / "python"), "-c", "import pipelineops; print(pipelineops.ACTION_REF_MARKER)"]
    assert subprocess.run(probe, capture_output=True, text=True, cwd=tmp_path).stdout.strip() == "1"
