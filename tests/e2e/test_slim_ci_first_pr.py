"""The first pull request, before production was ever deployed (the one that adopts PipelineOps, for one).

There is no production manifest to compare with or to defer to: slim-ci builds every node of the PR into
its own ``CI_PR_<n>*`` schemas and says why, instead of failing the PR for adopting. Local engine, real dbt.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.e2e.test_pr_ci import Project, _json_report

from pipelineops.engines.duckdb import LocalEngine
from pipelineops.plan.identifiers import pr_of_schema

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_first_pr_without_a_production_deploy_builds_everything_and_says_why(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(
        ROOT / "dbt", root / "dbt", ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    shutil.copy(ROOT / "pipelineops.yml", root / "pipelineops.yml")
    project = Project(root)
    project.git("init", "-q", "-b", "main")
    project.git("add", "-A")
    project.git("commit", "-q", "-m", "the dbt project")
    project.git("checkout", "-q", "-b", "pr-3")
    model = root / "dbt" / "models" / "staging" / "shop" / "stg_orders.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- adopting PipelineOps\n", encoding="utf-8")
    project.git("commit", "-q", "-am", "PR 3")
    # the loader owns the raw layer (RAW, the sources' schema); nothing else exists yet: never deployed
    project.warehouse.mkdir(parents=True)
    engine = LocalEngine(project.warehouse)
    try:
        engine.execute('CREATE SCHEMA "lake"."RAW"')
        for seed in sorted((root / "dbt" / "seeds").glob("raw_*.csv")):
            engine.execute(
                f'CREATE TABLE "lake"."RAW"."{seed.stem}" AS SELECT * FROM read_csv_auto(\'{seed}\')'
            )
    finally:
        engine.close()
    comment = tmp_path / "comment.md"

    code, out, err = project.cli(
        "slim-ci", "--pr", "3", "--base-ref", "main", "--json", "--comment-file", str(comment)
    )

    assert code == 0, out[-3000:] + err[-3000:]
    report = _json_report(out)
    assert report["conclusion"] == "success"
    manifest = json.loads((project.pr_target(3) / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((project.pr_target(3) / "run_results.json").read_text(encoding="utf-8"))
    models = {uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    built = {r["unique_id"] for r in results["results"] if r["unique_id"].startswith("model.")}
    assert built == models
    assert {r["status"] for r in results["results"]} <= {"success", "pass", "warn", "no-op"}
    for r in results["results"]:
        if r["unique_id"].startswith("model."):
            assert r["relation_name"].startswith('"lake"."CI_PR_3'), r["relation_name"]
    assert {s for s in project.schemas() if pr_of_schema(s) is None} <= {"main", "RAW"}  # nothing deployed
    reasons = {tuple(s["reasons"]) for s in report["data"]["selected"]}
    assert reasons == {("no production manifest yet: every node builds",)}
    assert "prod has no published deploy yet" in comment.read_text(encoding="utf-8")
    assert "no production manifest: every node builds" in out + err
