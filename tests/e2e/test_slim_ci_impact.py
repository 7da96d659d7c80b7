"""Column-aware slim CI on the local engine, with real dbt and DuckLake (``tests/fixtures/dbt_impact``).

Production is deployed once; then two pull requests run ``pipelineops slim-ci`` (``--impact columns``,
the default). The first adds a column nobody reads to one staging model and removes a column from the
other: the first builds alone, the readers of the removed column are built and fail as they should,
and everything else is deferred. The second changes a ``where``: everything downstream builds. The third is a dry run of an additive
change: the narrowed plan is printed, and ``--impact nodes`` keeps every descendant, as before.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.workspace import REPO, cli, engine, make_workspace

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("slim_ci_impact")]
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]


def edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / "dbt" / path
    text = file.read_text(encoding="utf-8")
    assert old in text, (path, old)
    file.write_text(text.replace(old, new), encoding="utf-8")


def branch(root: Path, name: str) -> None:
    subprocess.run([*GIT, "checkout", "-q", "-B", name, "main"], cwd=root, check=True)


def commit(root: Path, message: str) -> None:
    subprocess.run([*GIT, "commit", "-qam", message], cwd=root, check=True)


def slim_ci(root: Path, pr: int, *extra: str) -> tuple[int, dict[str, Any], str]:
    comment = root / f"comment-{pr}.md"
    code, out, err = cli(
        root,
        "slim-ci",
        "--pr",
        str(pr),
        "--base-ref",
        "main",
        "--json",
        "--comment-file",
        str(comment),
        *extra,
    )
    report = json.loads(out[out.index("{") :])
    return code, report, comment.read_text(encoding="utf-8") + err


def built(root: Path, pr: int) -> dict[str, str]:
    """The models dbt ran for PR ``pr``, with their status (run_results of the slim-ci build)."""
    results = root / ".pipelineops" / "runs" / "dev" / f"slim-ci-pr-{pr}" / "target" / "run_results.json"
    data = json.loads(results.read_text(encoding="utf-8"))
    return {
        r["unique_id"].split(".")[-1]: r["status"]
        for r in data["results"]
        if r["unique_id"].startswith("model.")
    }


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = make_workspace(tmp_path_factory.mktemp("impact"), REPO / "tests" / "fixtures" / "dbt_impact")
    code, out, err = cli(ws, "bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    assert code == 0, out[-3000:] + err[-3000:]
    return ws


def test_additive_column_builds_alone_and_a_removed_column_fails_its_readers(root: Path) -> None:
    branch(root, "pr-1")
    edit(root, "models/staging/stg_customers.sql", "region from", "region, 1 as extra from")
    edit(root, "models/staging/stg_orders.sql", "as amount, status", "as amount")
    commit(root, "PR 1: add extra, drop status")

    code, report, text = slim_ci(root, 1)

    assert code == 1, text[-3000:]  # order_status reads the removed column: its build fails, as it should
    assert report["conclusion"] == "failure"
    runs = built(root, 1)
    assert set(runs) == {"stg_customers", "stg_orders", "order_status", "orders_wide"}
    assert runs["order_status"] == "error"
    assert runs["stg_customers"] == runs["stg_orders"] == runs["orders_wide"] == "success"
    impact = report["data"]["impact"]
    assert (impact["mode"], impact["before"], impact["after"]) == ("columns", 8, 4)
    decisions = {d["name"]: d["why"] for d in impact["decisions"]}
    assert decisions["customer_names"] == "skipped: reads none of the changed columns (`extra`)"
    assert decisions["order_totals"] == "skipped: reads none of the changed columns (`status`)"
    assert decisions["order_status"] == "built: reads `stg_orders.status` (changed)"
    assert decisions["orders_wide"].startswith("built: select * over stg_orders")
    assert "skipped: reads none of the changed columns (`extra`)" in text
    assert "Column-level impact: 4 of 8 selected node(s) built" in text
    # production's compiled SQL comes from the published manifest: no dbt compile --inline of its code
    assert "dbt compile --select state:modified+ (column-aware narrowing)" in text
    assert "dbt compile --inline" not in text


def test_a_changed_where_builds_everything_downstream(root: Path) -> None:
    branch(root, "pr-2")
    edit(
        root,
        "models/staging/stg_orders.sql",
        "from {{ ref('raw_orders') }}",
        "from {{ ref('raw_orders') }}\nwhere amount_cents > 500",
    )
    commit(root, "PR 2: only larger orders")

    code, report, text = slim_ci(root, 2)

    assert code == 0, text[-3000:]
    assert set(built(root, 2)) == {"stg_orders", "order_totals", "order_status", "orders_wide"}
    decisions = {d["name"]: d["why"] for d in report["data"]["impact"]["decisions"]}
    assert "filter/grain/join changed" in decisions["stg_orders"]


def test_dry_run_prints_the_narrowed_plan_and_nodes_mode_keeps_every_descendant(root: Path) -> None:
    branch(root, "pr-3")
    edit(root, "models/staging/stg_customers.sql", "region from", "region, 1 as extra from")
    commit(root, "PR 3: add extra")

    code, report, text = slim_ci(root, 3, "--dry-run")
    code_nodes, nodes, _ = slim_ci(root, 4, "--dry-run", "--impact", "nodes")

    assert code == code_nodes == 0, text[-3000:]
    (build,) = [s for s in report["data"]["plan"] if s["name"] == "build"]
    assert build["dbt_args"][:3] == ["build", "--select", "stg_customers"]
    assert "build and test the 1 of 3 state:modified+ nodes a change can affect" in text
    assert "| customer_names | model | skipped: reads none of the changed columns \\(\\`extra\\`\\) |" in text
    (build,) = [s for s in nodes["data"]["plan"] if s["name"] == "build"]
    assert build["dbt_args"][:3] == ["build", "--select", "state:modified+"]
    assert nodes["data"]["impact"]["mode"] == "nodes"
    eng = engine(root)
    try:
        made = eng.query(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name LIKE 'CI_PR_3%' UNION ALL "
            "SELECT view_name FROM duckdb_views() WHERE schema_name LIKE 'CI_PR_3%'"
        )
    finally:
        eng.close()
    assert made == []  # a dry run builds nothing
