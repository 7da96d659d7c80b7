"""Slim deploys on the local engine, with real dbt and DuckLake (``tests/fixtures/dbt_slim``).

One workspace walks a history: a first (full) deploy; a change to a staging model with an incremental
descendant, deployed slim and then in full from the same commit; a rollback; a commit that removes a model,
renames one and changes a seed, deployed slim and then in full; then one commit per fallback reason. After
each slim deploy the consumer views must return exactly the rows the full deploy of the same commit
returns, and the journal must say what was built, what was carried over, and why a deploy was full.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.e2e.workspace import REPO, cli, engine, make_workspace

from pipelineops.plan import slim_deploy

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("slim_deploy")]
Snapshot = dict[str, list[tuple[object, ...]]]


def consumer_rows(root: Path) -> Snapshot:
    """Every view of the consumer schema MARTS, with its rows in a stable order."""
    eng = engine(root)
    try:
        names = [
            str(r["name"])
            for r in eng.query(
                "SELECT view_name AS name FROM duckdb_views() WHERE database_name = 'lake' "
                "AND schema_name = 'MARTS' ORDER BY 1"
            )
        ]
        return {
            n: [tuple(r.values()) for r in eng.query(f'SELECT * FROM lake."MARTS"."{n}" ORDER BY ALL')]
            for n in names
        }
    finally:
        eng.close()


def record(root: Path, deploy_id: str) -> slim_deploy.ModeRecord:
    eng = engine(root)
    try:
        rows = eng.query(
            'SELECT deploy_id, step, status, detail FROM lake."PIPELINEOPS"."DEPLOY_STATE" '
            f"WHERE deploy_id = '{deploy_id}'"
        )
    finally:
        eng.close()
    found = slim_deploy.record_of(rows, deploy_id)
    assert found is not None, rows
    return found


def commit(root: Path, message: str) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", message], cwd=root, check=True)


def deploy(root: Path, deploy_id: str, *extra: str, env: dict[str, str] | None = None) -> str:
    code, out, err = cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", deploy_id, *extra, env=env)
    assert code == 0, out + err
    return out


def edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / "dbt" / path
    text = file.read_text(encoding="utf-8")
    assert old in text, (path, old)
    file.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = make_workspace(tmp_path_factory.mktemp("slim"), REPO / "tests" / "fixtures" / "dbt_slim")
    seen: dict[str, object] = {"root": root}
    deploy(root, "d1")
    # 1. a staging model whose descendants include the incremental fct_orders
    edit(root, "models/staging/stg_orders.sql", "as amount", "as amount, amount_cents % 7 as bucket")
    edit(root, "models/marts/fct_orders.sql", "customer_id, amount", "customer_id, amount, bucket")
    commit(root, "stg_orders gains a bucket")
    seen["d2_out"] = deploy(root, "d2")
    seen["slim_2"] = consumer_rows(root)
    deploy(root, "d3", "--mode", "full")
    seen["full_3"] = consumer_rows(root)
    code, out, err = cli(root, "rollback", "--env", "prod", "--reason", "slim test")
    assert code == 0, out + err
    seen["rolled_back"] = consumer_rows(root)
    # 2. a removed model, a renamed model, a changed seed
    (root / "dbt" / "models" / "marts" / "rpt_customer_orders.sql").unlink()
    (root / "dbt" / "models" / "marts" / "dim_regions.sql").rename(
        root / "dbt" / "models" / "marts" / "dim_region.sql"
    )
    edit(root, "seeds/raw_customers.csv", "3,cyd,eu\n", "3,cyd,eu\n4,dee,apac\n")
    commit(root, "remove, rename, reseed")
    deploy(root, "d4")
    seen["slim_4"] = consumer_rows(root)
    deploy(root, "d5", "--mode", "full")
    seen["full_5"] = consumer_rows(root)
    # 3. fallbacks: a changed var, a changed env_var() input, a changed macro
    edit(root, "dbt_project.yml", "amount_floor: 0", "amount_floor: 500")
    commit(root, "raise the floor")
    deploy(root, "d6")
    deploy(root, "d7", env={"SLIM_REGION_LABEL": "emea"})
    edit(root, "macros/cents.sql", "/ 100.0", "/ 100.00")
    commit(root, "a macro changes")
    deploy(root, "d8", env={"SLIM_REGION_LABEL": "emea"})
    return seen


def test_first_deploy_is_full_for_want_of_a_live_manifest(history: dict[str, object]) -> None:
    first = record(history["root"], "d1")  # type: ignore[arg-type]
    assert (first.mode, first.reason) == ("full", "no live manifest: nothing is published yet")
    assert first.built == 9  # 7 models, 2 seeds


def test_slim_deploy_builds_the_change_and_carries_the_rest(history: dict[str, object]) -> None:
    slim = record(history["root"], "d2")  # type: ignore[arg-type]
    assert slim.mode == "slim" and slim.reason == ""
    assert set(slim.built_names) == {"stg_orders", "int_customer_totals", "fct_orders", "rpt_customer_orders"}
    assert (slim.built, slim.carried, slim.views) == (4, 2, 1)  # dim_customers, dim_regions; stg_customers
    out = str(history["d2_out"])
    assert "slim: 4 node(s) built, 2 table(s) carried over, 1 view(s) re-created" in out
    # the gates cover everything published, carried relations included; the dbt tests of the rebuilt nodes ran
    # (the report lists passing gates under "N gate(s) passed"; a failing one would end the deploy)
    assert "gate(s) passed" in out
    gates = [line.split() for line in out.splitlines() if "marts." in line]
    for name in ("dim_customers", "dim_regions", "fct_orders", "rpt_customer_orders"):
        assert ["row-count", f"marts.{name}"] in [g[:2] for g in gates], gates
        assert ["non-empty", f"marts.{name}"] in [g[:2] for g in gates], gates
    assert "7 nodes succeeded" in out  # 4 built, 1 view re-created, the 2 tests of fct_orders


def test_slim_deploy_publishes_what_a_full_deploy_of_the_same_commit_publishes(
    history: dict[str, object],
) -> None:
    slim, full = history["slim_2"], history["full_3"]
    assert slim == full
    assert set(slim) == {"dim_customers", "dim_regions", "fct_orders", "rpt_customer_orders"}  # type: ignore[arg-type]
    # the incremental fct_orders continued from its live table in both modes (dbt's on_schema_change: ignore
    # keeps its columns)
    assert len(full["fct_orders"]) == 4  # type: ignore[index]
    assert record(history["root"], "d3").reason == "--mode full"  # type: ignore[arg-type]


def test_rollback_then_slim_deploy_of_a_removal_a_rename_and_a_seed_change(
    history: dict[str, object],
) -> None:
    assert history["rolled_back"] == history["slim_2"]
    slim, full = history["slim_4"], history["full_5"]
    assert slim == full
    assert set(slim) == {"dim_customers", "dim_region", "fct_orders"}  # type: ignore[arg-type]
    assert ("apac", "default") in slim["dim_region"]  # type: ignore[index]
    fourth = record(history["root"], "d4")  # type: ignore[arg-type]
    assert fourth.mode == "slim"
    assert set(fourth.built_names) == {"raw_customers", "stg_customers", "dim_customers", "dim_region"}
    assert (fourth.carried, fourth.views) == (2, 1)  # int_customer_totals, fct_orders; stg_orders


@pytest.mark.parametrize(
    ("deploy_id", "reason"),
    [
        ("d6", "dbt_project.yml vars changed: amount_floor"),
        ("d7", "env_var() inputs changed: SLIM_REGION_LABEL"),
        ("d8", "macros changed: to_units"),
    ],
)
def test_each_fallback_builds_in_full_with_its_reason_journalled(
    history: dict[str, object], deploy_id: str, reason: str
) -> None:
    found = record(history["root"], deploy_id)  # type: ignore[arg-type]
    assert found.mode == "full"
    assert found.reason.startswith(reason), found.reason
    assert found.built == 8  # 6 models, 2 seeds
