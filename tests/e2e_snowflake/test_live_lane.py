"""The live lane's code (tests/snowflake_lanes/live.py) pointed at the emulator, so that it runs in every test
run and not first on an account: its database and roles are created and dropped (also when the scenario
fails), its SHOW-backed look-ups read what the statements left, and pipelineops runs on its workspace (its
pipelineops.yml and key; no dbt, which the emulator lane's scenarios run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import snowflake.connector
from tests.e2e_snowflake.shim import Shim
from tests.snowflake_lanes.live import LiveSettings, open_lane

from pipelineops.config import load_config

pytestmark = [pytest.mark.snowflake_e2e]


def _settings(server: dict[str, Any], pem: str) -> LiveSettings:
    return LiveSettings(
        account="fakesnow",
        user="CI_DEPLOYER",
        role="DEPLOYER",
        warehouse="CI_WH",
        private_key=pem,
        host=server["host"],
        port=server["port"],
        protocol=server["protocol"],
    )


def _databases(server: dict[str, Any]) -> set[str]:
    conn = snowflake.connector.connect(**server)
    try:
        cur = conn.cursor()
        cur.execute("SHOW DATABASES")
        return {str(r[1]) for r in cur.fetchall()}
    finally:
        conn.close()


def test_a_live_lane_reads_back_what_it_did_and_cleans_up_after_a_failure(
    server: dict[str, Any], pem: str, shim: Shim, tmp_path: Path
) -> None:
    with (
        pytest.raises(RuntimeError, match="the scenario failed"),
        open_lane(_settings(server, pem), tmp_path, "look-ups", "T1") as lane,
    ):
        db, reporter, analyst = lane.database, lane.role("REPORTER"), lane.role("ANALYST")
        assert db == "PIPELINEOPS_T_T1_LOOK_UPS" and db in _databases(server)
        assert (reporter, analyst) == (f"{db}_REPORTER", f"{db}_ANALYST")
        assert {reporter, analyst} <= shim.roles
        for statement in (
            f"CREATE SCHEMA {db}.S",
            f"CREATE TRANSIENT TABLE {db}.S.T (ID INT)",
            f"CREATE TABLE {db}.S.P (ID INT)",
            f"CREATE VIEW {db}.S.V AS SELECT * FROM {db}.S.T",
            f'GRANT USAGE ON SCHEMA "{db}"."S" TO ROLE "{reporter}"',
            f'GRANT SELECT ON VIEW "{db}"."S"."V" TO ROLE "{analyst}"',
            f'GRANT SELECT ON FUTURE VIEWS IN SCHEMA "{db}"."S" TO ROLE "{reporter}"',
            f'ALTER SCHEMA "{db}"."S" ENABLE MANAGED ACCESS',
        ):
            lane.query(statement)
        assert (lane.table_kind("S", "T"), lane.table_kind("S", "P")) == ("TRANSIENT", "TABLE")
        assert lane.tables("S") == {"T", "P"}
        assert "S" in lane.schemas()
        assert lane.roles_with("USAGE", "SCHEMA", "S") == {reporter}
        assert lane.roles_with("SELECT", "VIEW", "S", "V") == {analyst}
        assert lane.future_grants("S") == {("SELECT", "VIEW", reporter)}
        assert lane.managed_access("S") and not lane.managed_access("PUBLIC")
        lane.pause = 0.01
        assert lane.moment() < lane.moment()  # the warehouse's clock
        config = load_config(lane.root / "pipelineops.yml")
        assert config.environments["prod"].database == db
        assert f"reader_roles: [{reporter}]" in (lane.root / "pipelineops.yml").read_text()
        raise RuntimeError("the scenario failed")
    assert "PIPELINEOPS_T_T1_LOOK_UPS" not in _databases(server)
    assert not {r for r in shim.roles if r.startswith("PIPELINEOPS_T_T1_")}
    assert not [g for g in shim.grants if g.key[0] == "PIPELINEOPS_T_T1_LOOK_UPS"]


def test_pipelineops_runs_on_the_live_lanes_workspace(
    server: dict[str, Any], pem: str, tmp_path: Path
) -> None:
    """The workspace's pipelineops.yml and the key reach the warehouse: a runtime creates the journal, and
    ``status`` reads it through the CLI."""
    with open_lane(_settings(server, pem), tmp_path, "status", "T2") as lane:
        runtime = lane.runtime("live-lane-check")
        try:
            runtime.journal.migrate()
        finally:
            runtime.close()
        assert lane.lock_holder() is None
        assert {"PIPELINEOPS"} <= lane.schemas()
        out = lane.ok("status", "--env", "prod")
        assert "nothing is live; lock free" in out, out
        database = lane.database
    assert database not in _databases(server)
