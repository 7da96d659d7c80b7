"""parity-check on the local engine: staging and prod are two local warehouses (two folders).

The tests share one workspace and run in file order (make test distributes whole files): nothing is
deployed at first, then both environments get the same deploy, then staging alone gets a changed mart.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.e2e.workspace import REPO, cli, make_workspace

from pipelineops.commands.parity_check import scoped_environ

pytestmark = [pytest.mark.e2e]
CONFIG = """\
version: 1
dbt:
  project_dir: dbt
  profiles_dir: profiles
layout:
  consumer_schemas: [MARTS]
environments:
  staging:
    engine: duckdb
    dbt_target: local_staging
    local_dir: wh-staging
  prod:
    engine: duckdb
    dbt_target: local_prod
    local_dir: wh-prod
checks:
  row_count_delta: {warn_pct: 10, fail_pct: 50}
"""
DROPPED = "    cast(products.is_active as {{ dbt.type_boolean() }}) as is_active,\n"
FILTER = "left join sales on products.product_id = sales.product_id\n"
CONTRACT = (
    "      - name: is_active\n        description: '{{ doc(\"is_active\") }}'\n        data_type: boolean\n"
)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("parity"), REPO / "dbt")
    (root / "pipelineops.yml").write_text(CONFIG, encoding="utf-8")
    return root


def test_an_environment_never_deployed_is_a_user_error_and_nothing_is_created(ws: Path) -> None:
    for extra in ((), ("--dry-run",)):
        code, out, err = cli(ws, "parity-check", "--env", "staging", "--against", "prod", *extra)
        assert code == 2, out + err
        assert "environment staging has no local warehouse" in err and "never deployed" in err
        assert "deploy it first: pipelineops bluegreen-swap --env staging" in err
    assert not (ws / "wh-staging").exists() and not (ws / "wh-prod").exists()


def test_hostile_or_bad_options_are_user_errors(ws: Path) -> None:
    for args, message in (
        (("--schemas", 'MARTS"; DROP SCHEMA MARTS; --'), "--schemas"),
        (("--schemas", "MARTS,,STAGING"), "empty name"),
        (("--row-count-pct", "-3"), "not a percentage"),
        (("--row-count-pct", "nan"), "not a percentage"),
        (("--against", "staging"), "compares two environments"),
    ):
        code, out, err = cli(ws, "parity-check", "--env", "staging", *args)
        assert code == 2 and message in err, (args, out + err)


def test_same_deploy_in_both_environments_has_no_drift(ws: Path) -> None:
    for env in ("staging", "prod"):
        code, out, err = cli(ws, "bluegreen-swap", "--env", env, "--deploy-id", f"{env}-1")
        assert code == 0, out + err
    code, out, err = cli(ws, "parity-check", "--env", "staging", "--against", "prod", "--json")
    assert code == 0, out + err
    data = json.loads(out)
    assert data["conclusion"] == "success", data
    assert data["outputs"]["finding-count"] == "0" and data["outputs"]["fail-count"] == "0"
    snaps = data["data"]["snapshots"]
    names = {r["name"] for r in snaps["prod"]["relations"]}
    assert {"dim_products", "dim_customers", "fct_orders"} <= names
    assert snaps["staging"]["relations"] == snaps["prod"]["relations"]
    assert snaps["prod"]["grants"] is None
    assert data["facts"]["grants"] == "not applicable (local engine)"


def test_dry_run_prints_the_queries_of_each_environment_and_reads_nothing(ws: Path) -> None:
    code, out, err = cli(ws, "parity-check", "--env", "staging", "--against", "prod", "--dry-run")
    assert code == 0, out + err
    assert "Queries on staging" in out and "Queries on prod" in out
    assert (
        "SELECT table_name AS relation, column_name AS name, data_type AS type FROM "
        "information_schema.columns WHERE table_catalog = 'lake' AND upper(table_schema) = 'MARTS'"
    ) in out
    assert "grants: not applicable (local engine)" in out


def test_a_mart_changed_only_in_staging_fails_on_the_column_and_warns_on_rows(ws: Path) -> None:
    model = ws / "dbt" / "models" / "marts" / "dim_products.sql"
    contract = ws / "dbt" / "models" / "marts" / "_marts__models.yml"
    sql_text, yml_text = model.read_text(), contract.read_text()
    assert DROPPED in sql_text and FILTER in sql_text and CONTRACT in yml_text
    model.write_text(
        sql_text.replace(DROPPED, "").replace(FILTER, FILTER + "where products.product_id % 4 != 0\n")
    )
    contract.write_text(yml_text.replace(CONTRACT, ""))
    code, out, err = cli(ws, "bluegreen-swap", "--env", "staging", "--deploy-id", "staging-2")
    assert code == 0, out + err

    code, out, err = cli(ws, "parity-check", "--env", "staging", "--against", "prod")
    assert code == 1, out + err
    assert "missing-column" in out and "MARTS.dim_products.is_active" in out
    assert "missing in staging (prod: BOOLEAN)" in out
    assert "row-count" in out and "threshold 10%" in out
    code, out, err = cli(ws, "parity-check", "--env", "staging", "--json", "--row-count-pct", "50")
    data = json.loads(out)
    kinds = {(f["severity"], f["kind"], f["subject"]) for f in data["data"]["findings"]}
    assert kinds == {("fail", "missing-column", "MARTS.dim_products.is_active")}, kinds
    assert data["outputs"]["fail-count"] == "1"


def test_row_drift_alone_warns_and_fails_only_when_strict(ws: Path) -> None:
    # prod against staging: the column only staging lacks is now "only in prod", a warning
    code, out, err = cli(ws, "parity-check", "--env", "prod", "--against", "staging", "--json")
    assert code == 0, out + err
    data = json.loads(out)
    assert data["conclusion"] == "neutral"
    assert {f["kind"] for f in data["data"]["findings"]} == {"extra-column", "row-count"}
    code, out, err = cli(ws, "parity-check", "--env", "prod", "--against", "staging", "--strict")
    assert code == 1 and "FAILURE" in out, out + err


def test_secrets_scoped_to_an_environment_replace_the_shared_key_pair() -> None:
    environ = {
        "SNOWFLAKE_PRIVATE_KEY": "shared",
        "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "shared-pass",
        "SNOWFLAKE_PRIVATE_KEY_STAGING": "staging-key",
        "PATH": "/bin",
    }
    staging = scoped_environ("staging", environ)
    assert staging["SNOWFLAKE_PRIVATE_KEY"] == "staging-key"
    assert "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE" not in staging
    assert scoped_environ("prod", environ) == environ
