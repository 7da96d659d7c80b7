"""The Snowflake end-to-end scenarios: one registry, run by the emulator lane (``tests/e2e_snowflake``) and by
the live lane (``tests/live/test_snowflake_live.py``).

A scenario is a function of a ``Lane`` (``lane.py``). Scenarios come in groups: the scenarios of a *shared*
group run in order on one workspace, after the group's ``setup`` (one or two production deploys); each
scenario of any other group gets a fresh workspace and database. A scenario marked ``emulator_only`` (with
the reason) needs the shim: injected faults (a lost or refused reply, a swallowed grant), a fabricated query
history or a hand-edited grant list — things a real account cannot be made to do on demand. Everything else
runs on both lanes, and ``tests/live/test_lanes.py`` checks that the lanes' parametrisations follow this
list.

Each scenario names the stages it covers (``covers``); ``STAGES`` lists those every lane must cover.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tests.snowflake_lanes.lane import REPO, Lane

if TYPE_CHECKING:
    from tests.e2e_snowflake.shim import Shim

SCHEMAS = ("STAGING", "MARTS")
MARTS_SWAP = r'^ALTER SCHEMA "[A-Z_0-9]+"\."MARTS" SWAP WITH'
FAULTS = "injects a fault into the emulator (a real account cannot be made to fail a statement on demand)"
GRANT_FAULT = "edits the emulator's grant list and swallows a GRANT (a real account cannot be made to)"
HISTORY = "fabricates a query history entry (a real account's history cannot be written)"

#: the stages each lane must run end to end (issue 19)
STAGES = (
    "pr-schema",
    "slim-ci",
    "bluegreen-swap first",
    "bluegreen-swap second",
    "bluegreen-swap failed gate",
    "bluegreen-swap killed and resumed",
    "rollback",
    "time-travel restore",
    "backfill",
    "schema-cleanup",
    "parity-check",
    "freshness",
    "status",
)


@dataclass(frozen=True)
class Scenario:
    group: str
    name: str
    run: Callable[[Lane], None]
    covers: tuple[str, ...] = ()
    emulator_only: str = ""  # the reason, when the scenario needs the emulator

    @property
    def id(self) -> str:
        return f"{self.group}:{self.name}"

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class Group:
    name: str
    setup: Callable[[Lane], None] | None
    shared: bool  # one workspace for all its scenarios (in order), or a fresh one for each
    scenarios: tuple[Scenario, ...]


def _shim(lane: Lane) -> Shim:
    shim = getattr(lane, "shim", None)
    assert shim is not None, "an emulator-only scenario needs the emulator lane's shim"
    return cast("Shim", shim)


def _json(stdout: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        stdout[stdout.rindex("\n{\n") + 1 if "\n{\n" in stdout else stdout.index("{") :]
    )
    return data


def _deploy(*ids: str) -> Callable[[Lane], None]:
    def setup(lane: Lane) -> None:
        for deploy_id in ids:
            lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", deploy_id)

    return setup


def _colours(lane: Lane) -> dict[str, set[str]]:
    return {s: lane.view_colours(s) for s in SCHEMAS}


def _restore(lane: Lane, *point: str) -> tuple[int, str, str]:
    return lane.cli(
        "rollback", "--env", "prod", "--mode", "time-travel", "--model", "fct_orders", *point, "--reason", "r"
    )


# -- bluegreen-swap (a fresh workspace each) ---------------------------------------------------------------
def first_and_second_deploy_alternate_colours(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    assert _colours(lane) == {"STAGING": {"BLUE"}, "MARTS": {"BLUE"}}
    # the second deploy carries the transient incremental table over with a transient clone (finding H1)
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert lane.journal("cutover") == [("d1", "BLUE"), ("d2", "GREEN")]
    assert _colours(lane) == {"STAGING": {"GREEN"}, "MARTS": {"GREEN"}}
    assert lane.table_kind("MARTS__GREEN", "ORDERS_DAILY") == "TRANSIENT"
    assert lane.query(f"SELECT COUNT(*) FROM {lane.database}.MARTS.FCT_ORDERS") == [(4,)]
    assert lane.query(f"SELECT SUM(orders) FROM {lane.database}.MARTS.ORDERS_DAILY") == [(4,)]
    assert lane.lock_holder() is None  # released after dbt ran: the session stayed open (finding C1)
    for schema in SCHEMAS:
        assert lane.role("REPORTER") in lane.roles_with("USAGE", "SCHEMA", schema)


def failed_gate_publishes_nothing_and_releases_the_lock(lane: Lane) -> None:
    code, out, err = lane.cli(
        "bluegreen-swap", "--env", "prod", "--deploy-id", "bad", "--vars", "{lane_fail_gate: true}"
    )
    assert code == 1, out + err
    assert "not_null" in out + err
    assert lane.journal("cutover") == []
    assert lane.view_colours("MARTS") == set()
    assert lane.lock_holder() is None  # the next deploy may start


def killed_between_two_schema_swaps_converges_on_rerun(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    code = lane.killed("bluegreen-swap", "--env", "prod", "--deploy-id", "d2", boundary="swap:succeeded")
    assert code == -signal.SIGKILL
    # killed after the first SWAP: the schemas are mixed and the lock is still held by d2
    assert _colours(lane) == {"STAGING": {"GREEN"}, "MARTS": {"BLUE"}}
    assert lane.lock_holder() == "d2"
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert _colours(lane) == {"STAGING": {"GREEN"}, "MARTS": {"GREEN"}}
    assert lane.journal("cutover") == [("d1", "BLUE"), ("d2", "GREEN")]
    assert lane.lock_holder() is None


# -- the cutover's guarantee (finding M4; ARCHITECTURE.md "Cross-schema atomicity") ------------------------
def a_reader_inside_one_schema_never_sees_two_colours(lane: Lane) -> None:
    """Each consumer schema flips in one atomic SWAP, so a reader inside one schema never sees two colours;
    across schemas readers may see different colours while the cutover runs."""
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    seen: dict[str, list[frozenset[str]]] = {s: [] for s in SCHEMAS}
    stop = threading.Event()

    def read(schema: str) -> None:
        # one statement reads every view of the schema (what a reader's query over several views sees)
        while not stop.is_set():
            seen[schema].append(frozenset(lane.view_colours(schema)))
            time.sleep(0.05)

    readers = [threading.Thread(target=read, args=(s,), daemon=True) for s in SCHEMAS]
    for t in readers:
        t.start()
    try:
        lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=60)
    for schema in SCHEMAS:
        snapshots = seen[schema]
        assert snapshots, schema
        assert all(len(colours) == 1 for colours in snapshots), (schema, set(snapshots))
        flips = [i for i in range(1, len(snapshots)) if snapshots[i] != snapshots[i - 1]]
        assert len(flips) <= 1, (schema, snapshots)  # BLUE … then GREEN …, never back
        assert snapshots[0] == {"BLUE"} or not flips
        assert lane.view_colours(schema) == {"GREEN"}


def a_swap_whose_reply_is_lost_is_read_back_and_journalled(lane: Lane) -> None:
    from tests.e2e_snowflake.shim import Fault

    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    _shim(lane).faults.append(Fault(MARTS_SWAP, "after"))  # the swap happens, its reply is an error
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert _colours(lane) == {"STAGING": {"GREEN"}, "MARTS": {"GREEN"}}
    assert lane.journal("cutover") == [("d1", "BLUE"), ("d2", "GREEN")]
    details = lane.query(
        f"SELECT detail FROM {lane.database}.PIPELINEOPS.DEPLOY_STATE "
        "WHERE deploy_id = 'd2' AND step = 'swap' AND status = 'succeeded' ORDER BY finished_at"
    )
    assert len(details) == 2 and "confirmed after a lost reply" in str(details[1][0])
    assert lane.lock_holder() is None


def a_lost_reply_that_cannot_be_read_back_keeps_the_lock_until_the_rerun(lane: Lane) -> None:
    from tests.e2e_snowflake.shim import Fault

    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    _shim(lane).faults += [
        Fault(MARTS_SWAP, "after"),
        Fault(r"information_schema\.views WHERE table_schema = 'MARTS'", "before"),
    ]
    code, out, err = lane.cli("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert code == 3, out + err
    assert "outcome cannot be read" in out + err and "re-run with the same id (d2)" in out + err
    # production moved, the journal has no cutover of d2 yet: the lock stays with d2, nothing else starts
    assert _colours(lane) == {"STAGING": {"GREEN"}, "MARTS": {"GREEN"}}
    assert lane.journal("cutover") == [("d1", "BLUE")]
    assert lane.lock_holder() == "d2"
    code, out, err = lane.cli("bluegreen-swap", "--env", "prod", "--deploy-id", "d3")
    assert code == 2 and "held by deploy d2" in out + err
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")  # completes from where the views point
    assert lane.journal("cutover") == [("d1", "BLUE"), ("d2", "GREEN")]
    assert lane.lock_holder() is None


def a_failed_swap_after_another_schema_moved_keeps_the_lock(lane: Lane) -> None:
    from tests.e2e_snowflake.shim import Fault

    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    _shim(lane).faults.append(Fault(MARTS_SWAP, "before"))  # STAGING swapped, MARTS refused
    code, out, err = lane.cli("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert code == 3, out + err
    assert _colours(lane) == {"STAGING": {"GREEN"}, "MARTS": {"BLUE"}}
    swaps = lane.query(
        f"SELECT status, detail FROM {lane.database}.PIPELINEOPS.DEPLOY_STATE "
        "WHERE deploy_id = 'd2' AND step = 'swap' ORDER BY finished_at"
    )
    assert [s for s, _ in swaps] == ["succeeded", "failed"]  # the journal says exactly which schema moved
    assert "STAGING" in str(swaps[0][1]) and swaps[1][1] == "MARTS"
    assert lane.lock_holder() == "d2"
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert _colours(lane) == {"STAGING": {"GREEN"}, "MARTS": {"GREEN"}}
    assert lane.lock_holder() is None


# -- grants across a cutover (findings M2 and M3) ----------------------------------------------------------
def a_deploy_keeps_what_others_granted_on_the_consumer_schema(lane: Lane) -> None:
    """A SWAP exchanges everything granted on the two schemas, so the shadow schema must start as the
    consumer schema's twin, and a grant on one consumer view survives the re-pointing of that view."""
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    db = lane.database
    analyst, auditor, reporter = lane.role("ANALYST"), lane.role("AUDITOR"), lane.role("REPORTER")
    for stmt in (  # what an administrator grants on the consumer schema MARTS by hand, outside pipelineops
        f'GRANT USAGE ON SCHEMA "{db}"."MARTS" TO ROLE "{analyst}"',
        f'GRANT SELECT ON FUTURE VIEWS IN SCHEMA "{db}"."MARTS" TO ROLE "{analyst}"',
        f'GRANT USAGE ON SCHEMA "{db}"."MARTS" TO ROLE "{auditor}"',
        f'GRANT SELECT ON VIEW "{db}"."MARTS"."FCT_ORDERS" TO ROLE "{auditor}"',
        f'ALTER SCHEMA "{db}"."MARTS" ENABLE MANAGED ACCESS',
    ):
        lane.query(stmt)
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert lane.view_colours("MARTS") == {"GREEN"}
    # the grants on the schema itself, its future grants and managed access came along (M3)
    assert {analyst, auditor, reporter} <= lane.roles_with("USAGE", "SCHEMA", "MARTS")
    assert ("SELECT", "VIEW", analyst) in lane.future_grants("MARTS")
    assert lane.managed_access("MARTS")
    # a grant on one consumer view survives the re-pointing of that view
    assert lane.roles_with("SELECT", "VIEW", "MARTS", "FCT_ORDERS") == {auditor, reporter}
    for view in ("FCT_ORDERS", "ORDERS_DAILY"):
        assert reporter in lane.roles_with("SELECT", "VIEW", "MARTS", view)


def verify_grants_fails_when_a_reader_role_lacks_select_on_a_view(lane: Lane) -> None:
    from tests.e2e_snowflake.shim import Fault

    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    shim = _shim(lane)
    # an administrator revokes REPORTER's SELECT on the MARTS views (what REVOKE SELECT … FROM ROLE does),
    # and the SELECT grant on the new MARTS views never lands (USAGE does): only a SELECT check sees it (M2)
    shim.grants = [
        g for g in shim.grants if not (g.role == "REPORTER" and g.on == "VIEW" and g.key[1] == "MARTS")
    ]
    shim.faults.append(Fault(r'^GRANT SELECT ON ALL VIEWS IN SCHEMA "[A-Z_0-9]+"\."MARTS__NEXT"', "swallow"))
    code, out, err = lane.cli("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert code == 1, out + err
    assert "REPORTER has no SELECT on MARTS." in out + err
    assert lane.journal("verify-grants", "failed") == [("d2", "GREEN")]
    # the previous build is published again, and its views are readable by REPORTER
    assert _colours(lane) == {"STAGING": {"BLUE"}, "MARTS": {"BLUE"}}
    assert "REPORTER" in lane.roles_with("SELECT", "VIEW", "MARTS", "FCT_ORDERS")
    assert lane.lock_holder() is None


def without_reader_roles_verify_grants_is_skipped_with_a_warning(lane: Lane) -> None:
    config = lane.root / "pipelineops.yml"
    config.write_text(re.sub(r"reader_roles: \[[^\]]*\]", "reader_roles: []", config.read_text()))
    lane.git("commit", "-qam", "no reader roles")
    out = lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    assert "verify-grants skipped: no reader roles configured (environments.<env>.reader_roles)" in out
    assert lane.journal("verify-grants", "skipped") == [("d1", "BLUE")]


# -- the deploy lock (finding M1) --------------------------------------------------------------------------
def two_sessions_never_both_hold_the_lock(lane: Lane) -> None:
    """Two real sessions compete for DEPLOY_LOCK; ownership is the compare-and-set's row count."""
    from pipelineops.errors import PipelineOpsError, WarehouseBusy

    lock = f'"{lane.database}"."PIPELINEOPS"."DEPLOY_LOCK"'
    a, b = lane.runtime("lock-test"), lane.runtime("lock-test")

    def holders() -> list[object]:
        return [r["deploy_id"] for r in a.engine.query(f"SELECT deploy_id FROM {lock} ORDER BY 1")]

    def take(rt: Any, deploy_id: str, barrier: threading.Barrier, results: dict[str, Any]) -> None:
        barrier.wait()
        try:
            rt.journal.acquire(deploy_id, holder=deploy_id, run_url="")
            results[deploy_id] = None
        except PipelineOpsError as exc:  # WarehouseBusy, or a write-write conflict
            results[deploy_id] = exc

    try:
        a.journal.migrate()
        b.journal.migrate()
        a.journal.acquire("d1", holder="a", run_url="")
        # what a first run racing through INSERT … WHERE NOT EXISTS can leave once its insert commits: a
        # second, free lock row (Snowflake enforces no primary key)
        b.engine.execute(f"INSERT INTO {lock} (environment) VALUES ('prod')")
        try:
            b.journal.acquire("d2", holder="b", run_url="")
        except WarehouseBusy as exc:
            assert "held by deploy d1" in str(exc), exc
        else:
            raise AssertionError("the second session took a lock the first one holds")
        assert holders() == ["d1", None]
        holder = a.journal.holder()
        assert holder is not None and holder.deploy_id == "d1"
        a.journal.release("d1")

        # both sessions start together, over and over: exactly one wins each round
        for round_ in range(5):
            results: dict[str, BaseException | None] = {}
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(target=take, args=(rt, f"{name}{round_}", barrier, results))
                for rt, name in ((a, "a"), (b, "b"))
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            winners = [d for d, exc in results.items() if exc is None]
            assert len(results) == 2 and len(winners) == 1, results
            assert set(holders()) == {winners[0]}
            (a if winners[0].startswith("a") else b).journal.release(winners[0])
    finally:
        a.close()
        b.close()


# -- backfill ----------------------------------------------------------------------------------------------
def backfill_rebuilds_the_range_in_the_idle_colour_and_publishes_it(lane: Lane) -> None:
    """The microbatch model's days are re-run one dbt batch at a time into the idle colour, which is then
    published like a deploy."""
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    live = f"{lane.database}.MARTS__BLUE.DAILY_REVENUE"
    assert lane.query(f"SELECT COUNT(*) FROM {live}") == [(4,)]
    lane.query(f"DELETE FROM {live} WHERE ordered_at = '2026-12-02'")  # a day lost
    out = lane.ok(
        "backfill",
        "--env",
        "prod",
        "--model",
        "daily_revenue",
        "--start",
        "2026-12-02",
        "--end",
        "2026-12-03",
        "--deploy-id",
        "bf1",
    )
    assert "batch 1/1 2026-12-02 → 2026-12-03 … ok" in out, out
    assert lane.view_colours("MARTS") == {"GREEN"}
    assert lane.query(f"SELECT COUNT(*) FROM {lane.database}.MARTS.DAILY_REVENUE") == [(4,)]
    assert lane.lock_holder() is None


# -- PR CI, one workspace after one production deploy: pr-schema create → slim-ci → schema-cleanup ---------
def _open_pr(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "a")
    config = lane.root / "pipelineops.yml"  # fct_orders declares no key: name one for the data diff
    config.write_text(config.read_text() + "slim_ci:\n  diff:\n    keys: {fct_orders: [id]}\n")
    lane.git("checkout", "-q", "-b", "pr-7")
    model = lane.root / "dbt" / "models" / "marts" / "fct_orders.sql"
    model.write_text(
        model.read_text().replace(
            "from {{ ref('stg_orders') }}", "from {{ ref('stg_orders') }} where amount > 5"
        )
    )
    lane.git("commit", "-qam", "PR 7: only orders above 5")


def pr_schema_creates_the_pr_schemas(lane: Lane) -> None:
    lane.ok("pr-schema", "create", "--pr", "7")
    assert {"CI_PR_7", "CI_PR_7_STAGING", "CI_PR_7_MARTS", "CI_PR_7_RAW"} <= lane.schemas()


def slim_ci_builds_the_change_and_defers_the_rest_to_production(lane: Lane) -> None:
    comment = lane.root.parent / "comment.md"
    code, out, err = lane.cli(
        "slim-ci", "--pr", "7", "--base-ref", "main", "--comment-file", str(comment), "--json"
    )
    assert code == 0, out + err
    report = json.loads(out)  # stdout is exactly one JSON document
    assert report["conclusion"] == "success", report
    assert "fct_orders" in comment.read_text()
    # the data diff ran on the Snowflake engine: fct_orders keeps only the orders above 5
    (diff,) = report["data"]["data_diff"]
    assert (diff["name"], diff["status"], diff["key"]) == ("fct_orders", "compared", ["id"]), diff
    assert diff["pr_rows"] == 3 and diff["counts"]["added"] == 0
    assert diff["counts"]["removed"] == diff["prod_rows"] - 3 and diff["counts"]["changed"] == 0
    assert "#### Data changes" in comment.read_text()
    assert lane.query(f"SELECT COUNT(*) FROM {lane.database}.CI_PR_7_MARTS.FCT_ORDERS") == [(3,)]
    # the unchanged parent was read from production's consumer view, not rebuilt in the PR schema
    assert lane.query(f"SHOW TERSE OBJECTS IN SCHEMA {lane.database}.CI_PR_7_STAGING") == []


def schema_cleanup_drops_every_pr_schema_and_keeps_production(lane: Lane) -> None:
    lane.ok("schema-cleanup", "--pr", "7")
    left = lane.schemas()
    assert not {s for s in left if s.startswith("CI_PR_7")}
    assert {"STAGING", "MARTS", "RAW", "PIPELINEOPS"} <= left
    assert lane.view_colours("MARTS") == {"BLUE"}


# -- rollback and status, one workspace after two deploys (BLUE, then GREEN) -------------------------------
def status_names_the_live_colour_the_deploys_and_a_free_lock(lane: Lane) -> None:
    out = lane.ok("status", "--env", "prod")
    assert "GREEN is live" in out
    assert "b" in out and "a" in out
    assert "Held by" not in out


def time_travel_restores_the_rows_before_a_bad_append(lane: Lane) -> None:
    table = f"{lane.database}.MARTS__GREEN.FCT_ORDERS"
    before = lane.query(f"SELECT * FROM {table} ORDER BY id")
    good = lane.moment()
    lane.query(f"INSERT INTO {table} SELECT * FROM {table} WHERE id > 2")  # the bad append
    assert len(lane.query(f"SELECT * FROM {table}")) == len(before) + 2
    code, out, err = _restore(lane, "--at", good.isoformat())
    assert code == 0, out + err
    assert "Restored MARTS__GREEN.FCT_ORDERS: 6 → 4 rows" in out, out
    assert lane.query(f"SELECT * FROM {lane.database}.MARTS.FCT_ORDERS ORDER BY id") == before
    # the restored table keeps its kind, and the replaced rows are kept aside
    assert lane.table_kind("MARTS__GREEN", "FCT_ORDERS") == "TRANSIENT"
    aside = [n for n in lane.tables("MARTS__GREEN") if n.startswith("FCT_ORDERS__")]
    assert len(aside) == 1, aside
    assert len(lane.query(f"SELECT * FROM {lane.database}.MARTS__GREEN.{aside[0]}")) == 6
    assert lane.lock_holder() is None


def time_travel_to_a_deploy_reads_the_colour_live_at_that_time(lane: Lane) -> None:
    """Finding H2: at deploy a's finish BLUE was live; GREEN's table did not even exist yet."""
    green = f"{lane.database}.MARTS__GREEN.FCT_ORDERS"
    lane.query(f"INSERT INTO {green} SELECT * FROM {green} WHERE id = 1")  # a bad row in the live colour
    time.sleep(1.1)  # restore ids have one-second resolution: this restore gets its own side-table names
    code, out, err = _restore(lane, "--to", "a")
    assert code == 0, out + err
    assert "Restored MARTS__GREEN.FCT_ORDERS: 5 → 4 rows" in out, out
    blue = lane.query(f"SELECT * FROM {lane.database}.MARTS__BLUE.FCT_ORDERS ORDER BY id")
    assert lane.query(f"SELECT * FROM {lane.database}.MARTS.FCT_ORDERS ORDER BY id") == blue
    assert lane.view_colours("MARTS") == {"GREEN"}  # the data came back, the publication did not change


def rollback_republishes_the_previous_colour_and_is_journalled(lane: Lane) -> None:
    code, _, err = lane.cli("rollback", "--env", "prod")
    assert code == 2 and "--reason" in err  # prod requires a reason
    out = lane.ok("rollback", "--env", "prod", "--reason", "bad numbers", env={"GITHUB_ACTOR": "oncall"})
    assert "Rolled back prod to BLUE (deploy a)" in out
    assert lane.view_colours("STAGING") == lane.view_colours("MARTS") == {"BLUE"}
    rows = lane.query(
        f"SELECT actor, reason, colour_from, colour_to FROM {lane.database}.PIPELINEOPS.DEPLOY_STATE "
        "WHERE kind = 'rollback' AND step = 'cutover' AND status = 'succeeded'"
    )
    assert rows == [("oncall", "bad numbers", "GREEN", "BLUE")]
    assert lane.lock_holder() is None
    assert "BLUE is live" in lane.ok("status", "--env", "prod")


# -- time-travel restores through the UNDROP route, one workspace after one deploy (BLUE live) -------------
def _recreate(lane: Lane, where: str) -> None:
    """What a dbt table build does: CREATE OR REPLACE (the old table is dropped, its history restarts)."""
    table = f"{lane.database}.MARTS__BLUE.FCT_ORDERS"
    lane.query(f"CREATE OR REPLACE TRANSIENT TABLE {table} AS SELECT * FROM {table} WHERE {where}")


def a_failed_undrop_route_gives_the_live_table_its_name_back(lane: Lane) -> None:
    """Finding H3: the route renames the live table first; when a later step fails, it is renamed back."""
    point = lane.moment()
    _recreate(lane, "id <= 3")
    _recreate(lane, "id <= 2")  # UNDROP brings back the 3-row table, itself created after the point
    code, out, err = _restore(lane, "--at", point.isoformat())
    assert code == 3, out + err
    assert "Time travel data is not available" in err
    assert lane.query(f"SELECT COUNT(*) FROM {lane.database}.MARTS.FCT_ORDERS") == [(2,)]
    rows = lane.query(
        f"SELECT step, detail FROM {lane.database}.PIPELINEOPS.DEPLOY_STATE WHERE kind = 'restore' "
        "AND step = 'undo'"
    )
    assert len(rows) == 1 and "undone after" in rows[0][1] and "__UNDROPPED_" in rows[0][1]
    failed = lane.query(
        f"SELECT error FROM {lane.database}.PIPELINEOPS.DEPLOY_STATE WHERE kind = 'restore' "
        "AND step = 'finish' AND status = 'failed'"
    )
    assert len(failed) == 1 and "Time travel data is not available" in failed[0][0]
    assert lane.lock_holder() is None


def the_undrop_route_restores_the_version_create_or_replace_dropped(lane: Lane) -> None:
    point = lane.moment()
    _recreate(lane, "id <= 1")
    code, out, err = _restore(lane, "--at", point.isoformat())
    assert code == 0, out + err
    assert "route" in out and "undrop" in out, out
    assert lane.query(f"SELECT COUNT(*) FROM {lane.database}.MARTS.FCT_ORDERS") == [(2,)]
    assert lane.table_kind("MARTS__BLUE", "FCT_ORDERS") == "TRANSIENT"


def _before_statement(query_type: str | None, days: int, problem: str) -> Callable[[Lane], None]:
    def scenario(lane: Lane) -> None:
        """Finding L1: BEFORE (STATEMENT) takes DML query ids younger than 14 days; anything else is refused
        before the lock, naming the fix, and nothing is written."""
        qid = f"01b2c3d4-0000-1111-0000-{len(problem):012d}"  # one id per case (the shim outlives a case)
        if query_type:
            _shim(lane).queries[qid] = (query_type, datetime.now(UTC) - timedelta(days=days, minutes=5))
        rows = len(lane.query(f"SELECT * FROM {lane.database}.PIPELINEOPS.DEPLOY_STATE"))
        code, out, err = _restore(lane, "--before-statement", qid)
        assert code == 2, out + err
        assert problem in out + err and "--at" in out + err and "--to <deploy id>" in out + err
        assert len(lane.query(f"SELECT * FROM {lane.database}.PIPELINEOPS.DEPLOY_STATE")) == rows
        assert lane.lock_holder() is None

    return scenario


# -- row counts, anomaly, delivery numbers and the audit package, one workspace after one deploy -----------
def the_deploy_records_row_counts_and_anomaly_does_not_judge_a_first_count(lane: Lane) -> None:
    rows = lane.query(
        f"SELECT deploy_id, model, row_count FROM {lane.database}.PIPELINEOPS.DEPLOY_ROW_COUNTS ORDER BY model"
    )
    assert rows and {r[0] for r in rows} == {"a"}
    assert ("a", "marts.fct_orders", 4) in rows
    code, out, err = lane.cli("anomaly", "--env", "prod", "--record", "--json")
    assert code == 0, out + err
    report = _json(out)
    assert report["outputs"]["anomaly-count"] == "0"
    assert all(v["status"] == "not judged" for v in report["data"]["verdicts"])


def status_since_reads_the_journal_through_the_connector(lane: Lane) -> None:
    code, out, err = lane.cli("status", "--env", "prod", "--since", "30d", "--json")
    assert code == 0, out + err
    delivery = _json(out)["data"]["delivery"]
    assert (delivery["deploys"], delivery["attempts"], delivery["failures"]) == (1, 1, 0)


def the_audit_package_builds_on_dbt_snowflake(lane: Lane) -> None:
    """packages/pipelineops_audit installed with a ``local:`` entry and built by dbt-snowflake."""
    project = lane.root / "dbt"
    (project / "packages.yml").write_text(
        f"packages:\n  - local: {REPO / 'packages' / 'pipelineops_audit'}\n", encoding="utf-8"
    )
    deps = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "deps"],
        cwd=project,
        env={"PATH": "/usr/bin:/bin", "HOME": str(lane.root), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert deps.returncode == 0, deps.stdout[-3000:]
    rt = lane.runtime("audit")
    try:
        build = rt.run_dbt("audit", ("build", "--select", "package:pipelineops_audit"))
    finally:
        rt.close()
        (project / "packages.yml").unlink()
    assert build.ok, "\n".join(build.output_tail[-40:])
    rows = lane.query(
        f"SELECT environment, deploys, attempts, failures FROM {lane.database}.ANALYTICS.AUDIT_DORA"
    )
    assert rows == [("prod", 1, 1, 0)]


# -- freshness and parity-check, one workspace after one deploy --------------------------------------------
def freshness_reports_the_late_feed_as_a_warning(lane: Lane) -> None:
    out = lane.ok("freshness", "--env", "prod")
    assert "raw.raw_orders" in out and "warn_after" in out
    code, out, err = lane.cli("freshness", "--env", "prod", "--fail-on", "warn")
    assert code == 1, out + err


def parity_check_compares_two_environments_of_one_account(lane: Lane) -> None:
    code, out, err = lane.cli("parity-check", "--env", "dev", "--against", "prod", "--json")
    assert code == 0, out + err
    report = json.loads(out)  # stdout is exactly one JSON document
    assert report["conclusion"] == "success", report


def _s(run: Callable[[Lane], None], *covers: str, emulator_only: str = "", name: str = "") -> Scenario:
    return Scenario("", name or run.__name__, run, covers, emulator_only)


def _group(name: str, setup: Callable[[Lane], None] | None, *scenarios: Scenario) -> Group:
    """A group; with a ``setup`` its scenarios share one workspace, without one each gets its own."""
    return Group(name, setup, setup is not None, tuple(replace(s, group=name) for s in scenarios))


GROUPS: tuple[Group, ...] = (
    _group(
        "bluegreen-swap",
        None,
        _s(first_and_second_deploy_alternate_colours, "bluegreen-swap first", "bluegreen-swap second"),
        _s(failed_gate_publishes_nothing_and_releases_the_lock, "bluegreen-swap failed gate"),
        _s(killed_between_two_schema_swaps_converges_on_rerun, "bluegreen-swap killed and resumed"),
    ),
    _group(
        "cutover",
        None,
        _s(a_reader_inside_one_schema_never_sees_two_colours, "bluegreen-swap second"),
        _s(a_swap_whose_reply_is_lost_is_read_back_and_journalled, emulator_only=FAULTS),
        _s(a_lost_reply_that_cannot_be_read_back_keeps_the_lock_until_the_rerun, emulator_only=FAULTS),
        _s(a_failed_swap_after_another_schema_moved_keeps_the_lock, emulator_only=FAULTS),
    ),
    _group(
        "grants",
        None,
        _s(a_deploy_keeps_what_others_granted_on_the_consumer_schema, "bluegreen-swap second"),
        _s(verify_grants_fails_when_a_reader_role_lacks_select_on_a_view, emulator_only=GRANT_FAULT),
        _s(without_reader_roles_verify_grants_is_skipped_with_a_warning, "bluegreen-swap first"),
    ),
    _group("deploy-lock", None, _s(two_sessions_never_both_hold_the_lock)),
    _group("backfill", None, _s(backfill_rebuilds_the_range_in_the_idle_colour_and_publishes_it, "backfill")),
    _group(
        "pr-ci",
        _open_pr,
        _s(pr_schema_creates_the_pr_schemas, "pr-schema"),
        _s(slim_ci_builds_the_change_and_defers_the_rest_to_production, "slim-ci"),
        _s(schema_cleanup_drops_every_pr_schema_and_keeps_production, "schema-cleanup"),
    ),
    _group(
        "rollback",
        _deploy("a", "b"),
        _s(status_names_the_live_colour_the_deploys_and_a_free_lock, "status"),
        _s(time_travel_restores_the_rows_before_a_bad_append, "time-travel restore"),
        _s(time_travel_to_a_deploy_reads_the_colour_live_at_that_time, "time-travel restore"),
        _s(rollback_republishes_the_previous_colour_and_is_journalled, "rollback"),
    ),
    _group(
        "time-travel",
        _deploy("a"),
        _s(a_failed_undrop_route_gives_the_live_table_its_name_back, "time-travel restore"),
        _s(the_undrop_route_restores_the_version_create_or_replace_dropped, "time-travel restore"),
        _s(  # dbt's table build is DDL
            _before_statement("CREATE_TABLE_AS_SELECT", 0, "is a CREATE_TABLE_AS_SELECT statement"),
            name="before_statement_is_refused_for_ddl",
            emulator_only=HISTORY,
        ),
        _s(
            _before_statement("DELETE", 15, "younger than 14 days"),
            name="before_statement_is_refused_for_an_old_query_id",
            emulator_only=HISTORY,
        ),
        _s(
            _before_statement(None, 0, "not in the query history"),
            name="before_statement_is_refused_for_an_unknown_query_id",
        ),
    ),
    _group(
        "anomaly",
        _deploy("a"),
        _s(the_deploy_records_row_counts_and_anomaly_does_not_judge_a_first_count),
        _s(status_since_reads_the_journal_through_the_connector, "status"),
        _s(the_audit_package_builds_on_dbt_snowflake),
    ),
    _group(
        "checks",
        _deploy("a"),
        _s(freshness_reports_the_late_feed_as_a_warning, "freshness"),
        _s(parity_check_compares_two_environments_of_one_account, "parity-check"),
    ),
)

BY_GROUP = {g.name: g for g in GROUPS}
SCENARIOS: tuple[Scenario, ...] = tuple(s for g in GROUPS for s in g.scenarios)
#: what the live lane runs: everything but the emulator-only scenarios
LIVE: tuple[Scenario, ...] = tuple(s for s in SCENARIOS if not s.emulator_only)
