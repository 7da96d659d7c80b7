"""Pull-request CI end to end on the local engine: real dbt, real DuckLake, a fake GitHub on 127.0.0.1.

One production deploy per module (bluegreen-swap), then a pull request that changes one staging model:
pr-schema create → slim-ci (twice: the sticky comment is created, then edited) → schema-cleanup.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from tests.e2e.pr_ci_fake_github import FakeGitHub, fixture

from pipelineops.cli import main
from pipelineops.engines.base import iter_names
from pipelineops.engines.duckdb import LocalEngine
from pipelineops.plan.identifiers import pr_of_schema
from pipelineops.plan.sql import create_schema, list_relations, list_schemas

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
REPO = "acme/dw"
CHANGED = "model.pipelineops_demo.stg_orders"
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "ci",
    "GIT_AUTHOR_EMAIL": "ci@example.invalid",
    "GIT_COMMITTER_NAME": "ci",
    "GIT_COMMITTER_EMAIL": "ci@example.invalid",
}


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def config(self) -> str:
        return str(self.root / "pipelineops.yml")

    @property
    def warehouse(self) -> Path:
        return self.root / ".pipelineops" / "warehouse" / "prod"

    def git(self, *args: str) -> str:
        out = subprocess.run(
            ["git", *args], cwd=self.root, env=GIT_ENV, capture_output=True, text=True, check=True
        )
        return out.stdout

    def cli(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **(env or {})}
        code = main([*args, "--config", self.config], environ=environ, stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    def schemas(self) -> set[str]:
        engine = LocalEngine(self.warehouse)
        try:
            return set(iter_names(engine.query(list_schemas(engine.database, engine.dialect))))
        finally:
            engine.close()

    def relations(self, schema: str) -> set[str]:
        engine = LocalEngine(self.warehouse)
        try:
            return set(iter_names(engine.query(list_relations(engine.database, schema, engine.dialect))))
        finally:
            engine.close()

    def pr_target(self, pr: int) -> Path:
        return self.root / ".pipelineops" / "runs" / "dev" / f"slim-ci-pr-{pr}" / "target"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root = tmp_path_factory.mktemp("pr_ci")
    shutil.copytree(
        ROOT / "dbt", root / "dbt", ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    shutil.copy(ROOT / "pipelineops.yml", root / "pipelineops.yml")
    p = Project(root)
    p.git("init", "-q", "-b", "main")
    p.git("add", "-A")
    p.git("commit", "-q", "-m", "production")
    code, out, err = p.cli("bluegreen-swap", "--env", "prod")
    assert code == 0, out[-3000:] + err[-3000:]
    p.git("checkout", "-q", "-b", "pr-7")
    model = root / "dbt" / "models" / "staging" / "shop" / "stg_orders.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- reviewed in PR 7\n", encoding="utf-8")
    p.git("commit", "-q", "-am", "PR 7: touch stg_orders")
    yield p


def _json_report(stdout: str) -> dict[str, Any]:
    start = stdout.rindex("\n{\n") + 1 if "\n{\n" in stdout else stdout.index("{")
    data: dict[str, Any] = json.loads(stdout[start:])
    return data


def _descendant_models(manifest: dict[str, Any], start: str) -> set[str]:
    """``start`` and every model below it, from dbt's own child_map."""
    seen, todo = {start}, [start]
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return {uid for uid in seen if uid.startswith("model.")}


HOSTILE = ["7; DROP SCHEMA MARTS", "7'", "\uff17", "9" * 300, "-1", "0x7", "7 OR 1=1", "CI_PR_7"]


def test_hostile_pr_numbers_exit_2_and_change_nothing(project: Project) -> None:
    before = project.schemas()
    for value in HOSTILE:
        for args in (
            ("pr-schema", "create", "--pr", value),
            ("pr-schema", "drop", "--pr", value),
            ("slim-ci", "--pr", value),
            ("schema-cleanup", "--pr", value),
        ):
            code, _, err = project.cli(*args)
            assert code == 2, (args, err)
            assert "is not a pull-request number" in err
    code, _, err = project.cli("slim-ci", "--pr", "7", "--base-ref", "main;touch pwned")
    assert code == 2 and "not a git ref" in err
    assert project.schemas() == before
    assert not {s for s in before if s.upper().startswith("CI_PR")}
    assert not (project.root / ".pipelineops" / "runs" / "dev").exists()


def test_pull_request_ci_builds_the_change_comments_and_cleans_up(
    project: Project, httpserver: HTTPServer, tmp_path: Path
) -> None:
    fake = FakeGitHub(httpserver, REPO, pulls={7: "open", 9: "closed"})
    event = fixture("events/pull_request_opened.json")
    event["number"] = event["pull_request"]["number"] = 7
    (tmp_path / "event.json").write_text(json.dumps(event), encoding="utf-8")
    gh_env = {
        "GITHUB_TOKEN": "ghs_test_token",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_API_URL": fake.api_url,
    }

    # pr-schema create: the base schema and one per custom schema of the project
    code, out, err = project.cli("pr-schema", "create", "--pr", "7")
    assert code == 0, out[-2000:] + err
    created = {s for s in project.schemas() if pr_of_schema(s) == 7}
    assert {"CI_PR_7", "CI_PR_7_STAGING", "CI_PR_7_INTERMEDIATE", "CI_PR_7_MARTS", "CI_PR_7_RAW"} <= created

    # slim-ci: exactly the changed model and its descendants, built into CI_PR_7*, the rest deferred
    code, out, err = project.cli("slim-ci", "--pr", "7", "--base-ref", "main", "--json", env=gh_env)
    assert code == 0, out[-3000:] + err
    report = _json_report(out)
    assert report["conclusion"] == "success"
    results = json.loads((project.pr_target(7) / "run_results.json").read_text(encoding="utf-8"))
    manifest = json.loads((project.pr_target(7) / "manifest.json").read_text(encoding="utf-8"))
    built = {r["unique_id"] for r in results["results"] if r["unique_id"].startswith("model.")}
    assert built == _descendant_models(manifest, CHANGED)
    assert all(r["status"] in ("success", "pass") for r in results["results"] if r["status"] != "no-op")
    for r in results["results"]:
        if r["unique_id"].startswith("model."):
            assert r["relation_name"].startswith('"lake"."CI_PR_7_'), r["relation_name"]
            # unchanged parents are read from production's consumer views, never from a colour schema
            code = r.get("compiled_code") or ""  # None for a microbatch model (compiled per batch)
            assert "__BLUE" not in code and "__GREEN" not in code
    compiled = " ".join(r.get("compiled_code") or "" for r in results["results"] if r["unique_id"] in built)
    assert re.search(r'"lake"\."(STAGING|INTERMEDIATE|MARTS)"\."', compiled), "nothing was deferred"
    assert project.relations("CI_PR_7_STAGING") == {"stg_orders"}
    outputs = dict(report["outputs"])
    assert outputs["schema"] == "CI_PR_7" and outputs["failed-count"] == "0"
    assert int(outputs["selected-count"]) == len(report["data"]["selected"]) > len(built)
    why = {s["name"]: (s["role"], s["reasons"]) for s in report["data"]["selected"]}
    assert why["stg_orders"] == ("modified", ["file changed: models/staging/shop/stg_orders.sql"])
    assert {n for n, (role, _) in why.items() if role == "modified"} == {"stg_orders"}

    # one sticky comment on PR 7 ...
    comments = [c for c in fake.comments.values() if c["_issue"] == 7]
    assert len(comments) == 1 and comments[0]["body"].startswith("<!-- pipelineops:slim-ci part=1/1 -->")
    assert "stg_orders" in comments[0]["body"] and "file changed" in comments[0]["body"]
    # a comment-only change: the data diff of the modified model shows no change at all
    (diff,) = report["data"]["data_diff"]
    assert (diff["name"], diff["status"], diff["key"]) == ("stg_orders", "compared", ["order_id"])
    assert diff["pr_rows"] == diff["prod_rows"] > 0 and diff["row_delta"] == 0
    assert diff["counts"] == {
        "added": 0,
        "removed": 0,
        "matched": diff["pr_rows"],
        "changed": 0,
        "unchanged": diff["pr_rows"],
    }
    assert not any(c["changed"] for c in diff["columns"]) and diff["schema"]["added"] == []
    assert "#### Data changes" in comments[0]["body"]
    first_id = comments[0]["id"]
    # ... edited in place by the next run (the stored body stands for an earlier push)
    fake.comments[first_id]["body"] = (
        "<!-- pipelineops:slim-ci part=1/1 -->\n\nstale result of an earlier push\n"
    )
    fake.log.clear()
    code, out, err = project.cli("slim-ci", "--pr", "7", "--base-ref", "main", env=gh_env)
    assert code == 0, out[-3000:] + err
    assert [c["id"] for c in fake.comments.values() if c["_issue"] == 7] == [first_id]
    assert fake.writes() == [("PATCH", f"/repos/{REPO}/issues/comments/{first_id}")]
    assert "stale" not in fake.comments[first_id]["body"]

    # sweep: a closed PR's schema goes, the open PR's stay, a look-alike name is never touched
    engine = LocalEngine(project.warehouse)
    try:
        for name in ("CI_PR_9", "CI_PR_9X"):
            engine.execute(create_schema(engine.database, name, engine.dialect))
    finally:
        engine.close()
    code, out, err = project.cli("schema-cleanup", "--sweep", env=gh_env)
    assert code == 0, out + err
    after = project.schemas()
    assert "CI_PR_9" not in after and "CI_PR_9X" in after and created <= after

    # on close: nothing of PR 7 is left, production is intact
    code, out, err = project.cli("schema-cleanup", "--pr", "7")
    assert code == 0, out + err
    left = project.schemas()
    assert not {s for s in left if pr_of_schema(s) is not None}
    assert {"STAGING", "INTERMEDIATE", "MARTS", "RAW", "PIPELINEOPS", "CI_PR_9X"} <= left


def test_a_pr_that_changes_no_dbt_node_builds_nothing(project: Project, tmp_path: Path) -> None:
    project.git("checkout", "-q", "main")
    project.git("checkout", "-q", "-b", "pr-8")
    (project.root / "NOTES.md").write_text("docs only\n", encoding="utf-8")
    project.git("add", "NOTES.md")
    project.git("commit", "-q", "-m", "PR 8: docs only")
    comment = tmp_path / "comment.md"
    code, out, err = project.cli("slim-ci", "--pr", "8", "--base-ref", "main", "--comment-file", str(comment))
    assert code == 0, out[-3000:] + err
    assert "[SKIPPED] slim-ci: Skipped because this PR changes no dbt node" in out
    assert "selected-count = 0" in out
    assert not (project.pr_target(8) / "run_results.json").exists()
    assert not {s for s in project.schemas() if pr_of_schema(s) == 8}
    assert "Skipped because this PR changes no dbt node" in comment.read_text(encoding="utf-8")


# --- data diff ------------------------------------------------------------------------------------------


def _rows(project: Project, relation: str) -> dict[int, dict[str, Any]]:
    engine = LocalEngine(project.warehouse)
    try:
        return {int(str(r["customer_id"])): dict(r) for r in engine.query(f"SELECT * FROM {relation}")}
    finally:
        engine.close()


def _pr_branch(project: Project, name: str) -> None:
    project.git("checkout", "-q", "main")
    project.git("checkout", "-q", "-b", name)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_data_changes_of_a_mart_logic_change_with_exact_numbers_and_no_sensitive_value(
    project: Project, tmp_path: Path
) -> None:
    """PR 10: dim_customers drops every tenth customer who never ordered, re-segments (vip from 800),
    upper-cases the e-mail of even ids and the name of every fifth (both sensitive: config, meta.pii);
    dim_products loses its unique test (keyless: profile)."""
    _pr_branch(project, "pr-10")
    marts = project.root / "dbt" / "models" / "marts"
    _edit(marts / "dim_customers.sql", "when lifetime_value >= 1000", "when lifetime_value >= 800")
    _edit(
        marts / "dim_customers.sql",
        "cast(email as",
        "cast(case when customer_id % 2 = 0 then upper(email) else email end as",
    )
    _edit(
        marts / "dim_customers.sql",
        "cast(full_name as",
        "cast(case when customer_id % 5 = 0 then upper(full_name) else full_name end as",
    )
    _edit(
        marts / "dim_customers.sql",
        "from joined\n",
        "from joined\nwhere customer_id % 10 != 0\n"
        "    or customer_id in (select customer_id from {{ ref('int_orders_enriched') }})\n",
    )
    _edit(marts / "dim_products.sql", "from products\nleft join", "-- reviewed\nfrom products\nleft join")
    yml = marts / "_marts__models.yml"
    _edit(yml, "      - name: full_name\n", "      - name: full_name\n        config: {meta: {pii: true}}\n")
    _edit(
        yml,
        "        constraints: [{type: not_null}]\n        data_tests: [unique, not_null]\n      - name: sku\n",
        "        constraints: [{type: not_null}]\n        data_tests: [not_null]\n      - name: sku\n",
    )
    config = project.root / "pipelineops.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + "slim_ci:\n  diff:\n    sensitive: [dim_customers.email]\n",
        encoding="utf-8",
    )
    project.git("commit", "-qam", "PR 10: dim_customers logic")
    comment = tmp_path / "comment.md"
    code, out, err = project.cli(
        "slim-ci", "--pr", "10", "--base-ref", "main", "--comment-file", str(comment), "--json", "--debug"
    )
    assert code == 0, [line for line in out.splitlines() if '"title"' in line or '"message"' in line][:20]
    diffs = {d["name"]: d for d in _json_report(out)["data"]["data_diff"]}
    assert set(diffs) == {"dim_customers", "dim_products"}

    # the oracle: both relations read whole, compared in Python
    prod = _rows(project, '"lake"."MARTS"."dim_customers"')
    pr = _rows(project, '"lake"."CI_PR_10_MARTS"."dim_customers"')
    both = prod.keys() & pr.keys()
    changed = {k for k in both if prod[k] != pr[k]}
    segment = sorted(k for k in both if prod[k]["customer_segment"] != pr[k]["customer_segment"])
    d = diffs["dim_customers"]
    assert (d["status"], d["key"], d["key_source"]) == (
        "compared",
        ["customer_id"],
        "unique + not_null tests",
    )
    assert (d["prod_rows"], d["pr_rows"]) == (len(prod), len(pr))
    assert d["counts"] == {
        "added": len(pr.keys() - prod.keys()),
        "removed": len(prod.keys() - pr.keys()),
        "matched": len(both),
        "changed": len(changed),
        "unchanged": len(both) - len(changed),
    }
    columns = {c["name"]: c for c in d["columns"]}
    shown = {
        "rows": (d["prod_rows"], d["pr_rows"], d["row_delta"]),
        "counts": d["counts"],
        "customer_segment": columns["customer_segment"]["changed"],
        "email": columns["email"]["changed"],
        "full_name": columns["full_name"]["changed"],
        "removed_keys": d["removed_keys"],
        "products": (diffs["dim_products"]["prod_rows"], diffs["dim_products"]["pr_rows"]),
    }
    assert shown == {
        "rows": (1200, 1189, -11),
        "counts": {"added": 0, "removed": 11, "matched": 1189, "changed": 761, "unchanged": 428},
        "customer_segment": 115,
        "email": 589,
        "full_name": 229,
        "removed_keys": ["110", "340", "510"],
        "products": (120, 120),
    }, shown
    assert columns["customer_segment"]["changed"] == len(segment)
    assert [e[0] for e in columns["customer_segment"]["examples"]] == [str(k) for k in segment[:3]]
    assert all(
        e[1:] == ["repeat", "vip"] or e[1:] == ["one_time", "vip"]
        for e in columns["customer_segment"]["examples"]
    )
    assert columns["email"]["sensitive"] and columns["email"]["examples"] == []
    assert columns["full_name"]["sensitive"] and columns["full_name"]["examples"] == []
    assert d["schema"]["added"] == []

    p = diffs["dim_products"]
    assert p["status"] == "profile-only" and p["counts"] is None and p["prod_rows"] == p["pr_rows"]
    assert [(x["name"], x["distinct"]) for x in p["profile_pr"]] == [
        (x["name"], x["distinct"]) for x in p["profile_prod"]
    ]

    body = comment.read_text(encoding="utf-8")
    assert (
        "#### Data changes" in body
        and "| dim_customers | same | 1,200 | 1,189 | -11 | 0 | 11 | 761 | 428 |" in body
    ), [line for line in body.splitlines() if line.startswith("| dim_")]
    assert "<details><summary>Data changes: dim_customers" in body and "profile-only" in body
    sensitive = {str(r[c]) for r in [*prod.values(), *pr.values()] for c in ("email", "full_name")}
    for text in (body, out, err):
        leaked = [v for v in sensitive if v in text]
        assert not leaked, leaked[:3]

    # the same numbers from the command of its own
    code, out, err = project.cli("data-diff", "--pr", "10", "--json")
    assert code == 0, out[-3000:] + err[-3000:]
    again = {x["name"]: x for x in _json_report(out)["data"]["data_diff"]}
    assert (
        again["dim_customers"]["counts"] == d["counts"] and again["dim_customers"]["columns"] == d["columns"]
    )


def test_data_changes_of_a_pr_that_adds_a_column(project: Project, tmp_path: Path) -> None:
    _pr_branch(project, "pr-11")
    model = project.root / "dbt" / "models" / "staging" / "crm" / "stg_customers.sql"
    _edit(
        model,
        "    lower(email) as email,",
        "    lower(email) as email,\n    length(first_name) as first_name_length,",
    )
    project.git("commit", "-qam", "PR 11: a new column")
    comment = tmp_path / "comment.md"
    code, out, err = project.cli(
        "slim-ci", "--pr", "11", "--base-ref", "main", "--comment-file", str(comment), "--json"
    )
    assert code == 0, out[-3000:] + err[-3000:]
    (d,) = _json_report(out)["data"]["data_diff"]
    assert (d["name"], d["status"], d["prod_rows"], d["pr_rows"]) == ("stg_customers", "compared", 1200, 1200)
    assert [c["name"] for c in d["schema"]["added"]] == ["first_name_length"]
    assert d["schema"]["removed"] == [] and d["schema"]["retyped"] == []
    assert d["counts"] == {"added": 0, "removed": 0, "matched": 1200, "changed": 0, "unchanged": 1200}
    body = comment.read_text(encoding="utf-8")
    assert "| stg_customers | +1 col | 1,200 | 1,200 | +0 | 0 | 0 | 0 | 1,200 |" in body
    assert "first_name_length | added (" in body.replace("\\", "")  # as read, Markdown escapes aside
