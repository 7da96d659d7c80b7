"""Grants across a Snowflake cutover, end to end (findings M2 and M3): a SWAP exchanges everything granted on
the two schemas, so the shadow schema must start as the consumer schema's twin; the reader roles must keep
SELECT on every view; verify-grants checks SELECT as well as USAGE, and says so when it cannot check."""

from __future__ import annotations

import pytest
from tests.e2e_snowflake.conftest import Lane
from tests.e2e_snowflake.shim import Fault

pytestmark = [pytest.mark.snowflake_e2e]


def _admin_grants(lane: Lane) -> None:
    """What an administrator grants on the consumer schema MARTS by hand, outside pipelineops."""
    db = lane.database
    for stmt in (
        f'GRANT USAGE ON SCHEMA "{db}"."MARTS" TO ROLE "ANALYST"',
        f'GRANT SELECT ON FUTURE VIEWS IN SCHEMA "{db}"."MARTS" TO ROLE "ANALYST"',
        f'GRANT USAGE ON SCHEMA "{db}"."MARTS" TO ROLE "AUDITOR"',
        f'GRANT SELECT ON VIEW "{db}"."MARTS"."FCT_ORDERS" TO ROLE "AUDITOR"',
        f'ALTER SCHEMA "{db}"."MARTS" ENABLE MANAGED ACCESS',
    ):
        lane.query(stmt)


def test_a_deploy_keeps_what_others_granted_on_the_consumer_schema(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    _admin_grants(lane)
    db, shim = lane.database, lane.shim
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert lane.view_colours("MARTS") == {"GREEN"}
    marts = (db, "MARTS", "")
    # the grants on the schema itself, its future grants and managed access came along (M3)
    assert {"ANALYST", "AUDITOR", "REPORTER"} <= shim.roles_with("USAGE", "SCHEMA", marts)
    assert any(g.future and g.role == "ANALYST" and g.key == marts for g in shim.grants)
    assert (db, "MARTS") in shim.managed
    # a grant on one consumer view survives the re-pointing of that view
    assert shim.roles_with("SELECT", "VIEW", (db, "MARTS", "FCT_ORDERS")) == {"AUDITOR", "REPORTER"}
    for view in ("FCT_ORDERS", "ORDERS_DAILY"):
        assert "REPORTER" in shim.roles_with("SELECT", "VIEW", (db, "MARTS", view))


def test_verify_grants_fails_when_a_reader_role_lacks_select_on_a_view(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    # an administrator revokes REPORTER's SELECT on the MARTS views (what REVOKE SELECT … FROM ROLE does),
    # and the SELECT grant on the new MARTS views never lands (USAGE does): only a SELECT check sees it (M2)
    lane.shim.grants = [
        g for g in lane.shim.grants if not (g.role == "REPORTER" and g.on == "VIEW" and g.key[1] == "MARTS")
    ]
    lane.shim.faults.append(
        Fault(r'^GRANT SELECT ON ALL VIEWS IN SCHEMA "[A-Z_]+"\."MARTS__NEXT"', "swallow")
    )
    code, out, err = lane.cli("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert code == 1, out + err
    assert "REPORTER has no SELECT on MARTS." in out + err
    assert lane.journal("verify-grants", "failed") == [("d2", "GREEN")]
    # the previous build is published again, and its views are readable by REPORTER
    assert {s: lane.view_colours(s) for s in ("STAGING", "MARTS")} == {"STAGING": {"BLUE"}, "MARTS": {"BLUE"}}
    assert "REPORTER" in lane.shim.roles_with("SELECT", "VIEW", (lane.database, "MARTS", "FCT_ORDERS"))
    assert lane.lock_holder() is None


def test_without_reader_roles_verify_grants_is_skipped_with_a_warning(lane: Lane) -> None:
    config = lane.root / "pipelineops.yml"
    config.write_text(config.read_text().replace("reader_roles: [REPORTER]", "reader_roles: []"))
    lane.git("commit", "-qam", "no reader roles")
    out = lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    assert "verify-grants skipped: no reader roles configured (environments.<env>.reader_roles)" in out
    assert lane.journal("verify-grants", "skipped") == [("d1", "BLUE")]
