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


def _checkout(root: Path) -> Path:
    """A copy of what an action's checkout holds: run-stage.sh, the lock file, the package source."""
    root.mkdir()
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(REPO / "requirements", root / "requirements")
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    (root / "scripts").mkdir()
    shutil.copy(SCRIPT, root / "scripts" / "run-stage.sh")
    return root / "scripts" / "run-stage.sh"


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())


def test_cache_key_names_the_venv_and_changes_with_the_lock_and_the_source(tmp_path: Path) -> None:
    script = _checkout(tmp_path / "checkout")
    temp = tmp_path / "runner-temp"
    env = {"RUNNER_TEMP": str(temp), "RUNNER_ARCH": "X64"}

    def key(name: str) -> dict[str, str]:
        output = tmp_path / name
        proc = run("--cache-key", env={**env, "GITHUB_OUTPUT": str(output)}, script=script)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return _outputs(output)

    first = key("first")
    assert first["path"].startswith(str(temp / "pipelineops-venv-"))
    assert first["key"].startswith(first["restore-key"]) and first["key"] != first["restore-key"]
    assert first["restore-key"] == f"pipelineops-venv-Linux-X64-{first['path'].rsplit('-', 1)[1]}-"
    assert not temp.exists()  # nothing installed
    assert key("again") == first

    init = script.parents[1] / "src" / "pipelineops" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    source_changed = key("source")
    assert source_changed["restore-key"] == first["restore-key"] and source_changed["key"] != first["key"]

    lock = script.parents[1] / "requirements" / "runtime.lock"
    lock.write_text(lock.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    lock_changed = key("lock")
    assert lock_changed["path"] != first["path"] and not lock_changed["key"].startswith(first["restore-key"])


def test_cache_key_is_empty_with_an_existing_venv_and_refused_without_github_output(tmp_path: Path) -> None:
    output = tmp_path / "o"
    proc = run("--cache-key", env={"PIPELINEOPS_VENV": str(VENV), "GITHUB_OUTPUT": str(output)})
    assert proc.returncode == 0 and "nothing to cache" in proc.stdout
    assert not output.exists()  # no key: actions/setup skips the cache step
    proc = run("--cache-key", env={"RUNNER_TEMP": str(tmp_path)})
    assert proc.returncode == 2 and "GITHUB_OUTPUT is not set" in proc.stdout


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("lock", "expected"),
    [
        ("colorama==0.4.6 --hash=sha256:" + "0" * 64 + "\n", "DO NOT MATCH THE HASHES"),
        ("colorama==0.4.6\n", "Hashes are required in --require-hashes mode"),
    ],
    ids=["wrong-hash", "no-hash"],
)
def test_install_refuses_a_requirement_whose_hash_does_not_match(
    tmp_path: Path, lock: str, expected: str
) -> None:
    script = _checkout(tmp_path / "checkout")
    (script.parents[1] / "requirements" / "runtime.lock").write_text(lock, encoding="utf-8")
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    proc = run("--install-only", env={"RUNNER_TEMP": str(temp)}, script=script)
    assert proc.returncode != 0
    assert expected in proc.stdout + proc.stderr
    assert not list(temp.glob("pipelineops-venv-*/.requirements-installed"))
