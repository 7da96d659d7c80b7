"""A slim deploy narrowed by column lineage (``bluegreen-swap --impact columns``) on the local engine.

A column nobody reads is added to a staging model: the narrowed slim deploy builds that model alone and
carries its descendants over from the live colour, and readers then see exactly the rows a full deploy of
the same commit publishes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.test_slim_deploy import consumer_rows, record
from tests.e2e.workspace import REPO, cli, engine, make_workspace

from pipelineops.journal import join_manifest_parts

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("slim_deploy_impact")]


def manifest(root: Path, deploy_id: str) -> dict[str, Any]:
    eng = engine(root)
    try:
        rows = eng.query(
            'SELECT manifest FROM lake."PIPELINEOPS"."DEPLOY_MANIFESTS" '
            f"WHERE deploy_id = '{deploy_id}' ORDER BY part"
        )
    finally:
        eng.close()
    data: dict[str, Any] = json.loads(join_manifest_parts([str(r["manifest"]) for r in rows]))
    return data


def deploy(root: Path, deploy_id: str, *extra: str) -> str:
    code, out, err = cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", deploy_id, *extra)
    assert code == 0, out[-3000:] + err[-3000:]
    return out + err


def test_a_narrowed_slim_deploy_builds_the_change_alone_and_publishes_what_a_full_deploy_does(
    tmp_path: Path,
) -> None:
    root = make_workspace(tmp_path, REPO / "tests" / "fixtures" / "dbt_impact")
    deploy(root, "d1")
    model = root / "dbt" / "models" / "staging" / "stg_customers.sql"
    model.write_text(model.read_text(encoding="utf-8").replace("region from", "region, 1 as extra from"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(
        [*git, "commit", "-qam", "stg_customers gains a column nobody reads"], cwd=root, check=True
    )

    out = deploy(root, "d2", "--impact", "columns")
    narrowed = consumer_rows(root)
    deploy(root, "d3", "--mode", "full")

    slim = record(root, "d2")
    # production's compiled SQL comes from d1's published manifest: no dbt compile --inline of its code
    assert "dbt compile --select state:modified+ (column-aware narrowing)" in out
    assert "dbt compile --inline" not in out
    # d2 built stg_customers and carried the rest over: its manifest has every model's SQL, by readers' names
    published = manifest(root, "d2")["nodes"]
    sql = {
        uid.split(".")[-1]: n.get("compiled_code") for uid, n in published.items() if uid.startswith("model.")
    }
    assert all(sql.values()), sql
    assert "1 as extra" in str(sql["stg_customers"])
    # carried over from d1 (built in BLUE), moved to this build's relations: staging keeps its colour
    # (only MARTS is a consumer schema), the marts are named as readers see them
    assert '"lake"."STAGING__GREEN"."stg_customers"' in str(sql["customer_names"])
    assert "__BLUE" not in json.dumps(sql) and "MARTS__GREEN" not in json.dumps(sql)
    assert (slim.mode, slim.built_names) == ("slim", ("stg_customers",))
    assert "customer_names: skipped: reads none of the changed columns (`extra`)" in out
    assert narrowed == consumer_rows(root)
    assert narrowed["customer_names"] == [(1, "ada"), (2, "bob"), (3, "cyd")]
