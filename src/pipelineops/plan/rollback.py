"""Rollback plans. Pure.

republish: re-point production at the colour of an earlier deploy with the same cutover steps a deploy
uses — O(1) statements on Snowflake, one transaction locally. Possible only while that colour is intact.

time-travel: restore one table's data as of a point in time, never destroying the current rows (they are
kept aside in ``<table>__REPLACED_<id>``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from pipelineops.plan.bluegreen_swap import Published, cutover_steps, verify_grants_step
from pipelineops.plan.history import Colour, publications
from pipelineops.plan.sql import Dialect, Relation
from pipelineops.plan.sql import drop_table as _drop_table
from pipelineops.plan.sql import time_travel as tt
from pipelineops.plan.sql.dialect import CloneSwap, SnapshotCopy
from pipelineops.plan.steps import Plan, Step

TRANSIENT_MAX_DAYS = 1
STATEMENT_MAX_DAYS = 14
#: the statements ``BEFORE (STATEMENT => <id>)`` accepts: DML, transaction control and SELECT
#: (https://docs.snowflake.com/en/sql-reference/constructs/at-before, STATEMENT); ``QUERY_TYPE`` values
#: of the query history. dbt's table materialisation (CREATE TABLE AS SELECT) is DDL: not accepted.
STATEMENT_TYPES = frozenset(
    {"INSERT", "MULTI_TABLE_INSERT", "UPDATE", "DELETE", "MERGE", "SELECT", "BEGIN_TRANSACTION", "COMMIT"}
)
_QUERY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z", re.IGNORECASE)


@dataclass(frozen=True)
class QueryFacts:
    """One row of the query history: what a ``BEFORE (STATEMENT => <id>)`` point refers to."""

    query_id: str
    query_type: str
    start_time: datetime


def is_query_id(text: str) -> bool:
    return bool(_QUERY_ID.match(text))


def statement_point_problem(query_id: str, found: QueryFacts | None, now: datetime) -> str | None:
    """Why ``BEFORE (STATEMENT => query_id)`` cannot be used, or None when it can.

    Snowflake accepts a query id younger than 14 days, of a DML, transaction or SELECT statement
    (https://docs.snowflake.com/en/sql-reference/constructs/at-before: an older id fails with "statement
    <id> not found"). ``found``: the query's history row (None: not in the history that was searched).
    """
    if not is_query_id(query_id):
        return f"{query_id!r} is not a Snowflake query id (8-4-4-4-12 hexadecimal digits)"
    if found is None:
        return (
            f"query {query_id} is not in the query history of the last 7 days this role can see "
            "(INFORMATION_SCHEMA.QUERY_HISTORY): older or other users' queries cannot be checked"
        )
    age = now - _utc(found.start_time)
    if age > timedelta(days=STATEMENT_MAX_DAYS):
        return (
            f"query {query_id} ran {age.days} days ago: BEFORE (STATEMENT) accepts query ids younger than "
            f"{STATEMENT_MAX_DAYS} days"
        )
    kind = found.query_type.upper()
    if kind not in STATEMENT_TYPES:
        return (
            f"query {query_id} is a {kind} statement: BEFORE (STATEMENT) accepts DML (INSERT, UPDATE, DELETE, "
            "MERGE), BEGIN/COMMIT and SELECT only; dbt's table models are CREATE TABLE AS SELECT (DDL)"
        )
    return None


@dataclass(frozen=True)
class RepublishInputs:
    environment: str
    dialect: Dialect
    database: str
    consumer_schemas: tuple[str, ...]
    current: Colour
    target: Colour
    target_deploy: str
    published: tuple[Published, ...]
    existing_views: Mapping[str, tuple[str, ...]]
    reader_roles: tuple[str, ...] = ()


def republish_plan(i: RepublishInputs) -> Plan:
    steps = (
        Step(
            "lock", f"take the {i.environment} deploy lock (rollbacks share it with deploys)", action="note"
        ),
        *cutover_steps(
            dialect=i.dialect,
            database=i.database,
            colour=i.target,
            consumer_schemas=i.consumer_schemas,
            published=i.published,
            existing_views=i.existing_views,
            why=f"re-publish {i.target} (deploy {i.target_deploy}): {len(i.published)} consumer views",
            reader_roles=i.reader_roles,
        ),
        verify_grants_step(
            dialect=i.dialect,
            database=i.database,
            consumer_schemas=i.consumer_schemas,
            reader_roles=i.reader_roles,
        ),
        Step("smoke", "read every published view", action="check"),
        Step("finish", "release the deploy lock", action="note"),
    )
    return Plan(
        stage="rollback",
        dialect=i.dialect,
        steps=steps,
        facts=(
            ("environment", i.environment),
            ("live colour", i.current),
            ("back to", f"{i.target} (deploy {i.target_deploy})"),
        ),
    )


Route = Literal["direct", "undrop", "impossible"]


def point_time(point: tt.PointInTime, now: datetime) -> datetime | None:
    """When a point in time is, if the point says (a query id or a DuckLake version does not)."""
    if point.kind == "timestamp":
        return point.timestamp
    if point.kind == "offset":
        return now + timedelta(seconds=point.offset_s or 0)
    return None


def colour_live_at(rows: Sequence[Mapping[str, object]], at: datetime | None, live: Colour) -> Colour:
    """The colour readers were served at ``at``, from the journal's cutovers (deploys and rollbacks).

    A restore must read *that* colour's table: the live colour's table held other data then, or did not
    exist (finding H2). Unknown times, and times before the first cutover, keep the live colour.
    """
    if at is None:
        return live
    then = [p for p in publications(rows) if isinstance(p.at, datetime) and _utc(p.at) <= _utc(at)]
    return then[-1].colour if then else live


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def sql_drop_table(table: Relation, dialect: Dialect) -> str:
    return _drop_table(table, dialect)


def undo(plan: Plan, done: tuple[str, ...]) -> tuple[str, ...]:
    """The statements that take back the steps named in ``done`` (those that completed), newest first."""
    out: list[str] = []
    for step in reversed(plan.steps):
        if step.name in done:
            out.extend(step.inverse)
    return tuple(out)


@dataclass(frozen=True)
class Recoverability:
    route: Route
    reasons: tuple[str, ...]
    transient: bool = False  # the table's kind: its clones must be transient too

    @property
    def possible(self) -> bool:
        return self.route != "impossible"


def snowflake_recoverability(
    *,
    transient: bool,
    retention_days: int,
    created_on: datetime,
    target: datetime,
    now: datetime,
    statement_age_days: float | None = None,
) -> Recoverability:
    """Whether Snowflake time travel can still reach ``target`` for this table, and by which route."""
    reasons: list[str] = []
    window = min(retention_days, TRANSIENT_MAX_DAYS) if transient else retention_days
    if window <= 0:
        reasons.append("DATA_RETENTION_TIME_IN_DAYS is 0: the table keeps no history")
    elif target < now - timedelta(days=window):
        kind = "transient table (≤1 day, no fail-safe)" if transient else "table"
        reasons.append(f"{target.isoformat()} is outside the {window}-day retention of this {kind}")
    if statement_age_days is not None and statement_age_days > STATEMENT_MAX_DAYS:
        reasons.append(f"BEFORE(STATEMENT) needs a query younger than {STATEMENT_MAX_DAYS} days")
    if target > now:
        reasons.append("the point in time is in the future")
    if reasons:
        return Recoverability("impossible", tuple(reasons), transient)
    if created_on > target:
        return Recoverability(
            "undrop",
            (
                f"the table was re-created at {created_on.isoformat()} (CREATE OR REPLACE restarted its history): "
                "the older version is reachable only through UNDROP of the dropped table",
            ),
            transient,
        )
    return Recoverability("direct", ("within the retention window",), transient)


def retention_days(value: object) -> int:
    """``retention_time`` of a ``SHOW TABLES`` row: 0 means no history at all (not the 1-day default,
    which applies only when Snowflake reports nothing)."""
    if value is None or str(value).strip() == "":
        return 1
    return int(str(value))


def time_travel_plan(
    *,
    dialect: Dialect,
    table: Relation,
    point: tt.PointInTime,
    restore_id: str,
    route: Route = "direct",
    transient: bool = False,
    source: Relation | None = None,
) -> Plan:
    """``source``: the table whose history is read (on Snowflake: the same table in the colour that was
    live at the point in time, see ``colour_live_at``); the restored rows replace ``table``'s."""
    past = source or table
    if source is not None and source != table and route == "undrop":
        raise ValueError("the UNDROP route restores a table from its own history only")
    aside = tt.sibling(table, f"REPLACED_{restore_id}")
    steps = _route_steps(
        dialect, table, point, aside, restore_id=restore_id, route=route, transient=transient, past=past
    )
    return Plan(
        stage="rollback",
        dialect=dialect,
        steps=steps,
        facts=(("table", f"{table.schema}.{table.name}"), ("route", route), ("kept aside", aside.name)),
    )


def _route_steps(
    dialect: Dialect,
    table: Relation,
    point: tt.PointInTime,
    aside: Relation,
    *,
    restore_id: str,
    route: Route,
    transient: bool,
    past: Relation,
) -> tuple[Step, ...]:
    # exhaustive over ``TimeTravelRoute``: a new route without a case here is a mypy error (missing return)
    match dialect.time_travel:
        case SnapshotCopy() as snapshots:
            return _snapshot_steps(snapshots, dialect, table, point, aside)
        case CloneSwap() as clones:  # pragma: no branch
            return _clone_steps(
                clones,
                dialect,
                table,
                point,
                restore_id=restore_id,
                route=route,
                transient=transient,
                past=past,
            )


def _snapshot_steps(
    snapshots: SnapshotCopy, dialect: Dialect, table: Relation, point: tt.PointInTime, aside: Relation
) -> tuple[Step, ...]:
    return (
        Step(
            "verify",
            "the past version is readable (DuckLake keeps every snapshot)",
            sql=(tt.count_at(table, point, dialect),),
        ),
        Step(
            "restore",
            f"current rows kept aside in {aside.name}; table refilled from the past version, atomically",
            sql=snapshots.restore(table, point, aside),
            transactional=True,
        ),
    )


def _clone_steps(
    clones: CloneSwap,
    dialect: Dialect,
    table: Relation,
    point: tt.PointInTime,
    *,
    restore_id: str,
    route: Route,
    transient: bool,
    past: Relation,
) -> tuple[Step, ...]:
    side = tt.sibling(table, f"RESTORED_{restore_id}")
    if route == "direct":
        return (
            Step(
                "clone",
                "zero-copy clone of the past version into a side table"
                + (f" (from {past.schema}, live at that time)" if past != table else ""),
                sql=(clones.clone_at(side, past, point, transient=transient),),
                inverse=(sql_drop_table(side, dialect),),
            ),
            Step(
                "verify",
                "count the restored rows before touching production",
                sql=(f"SELECT COUNT(*) AS n FROM {side.sql(dialect)}",),
            ),
            Step(
                "restore",
                f"atomic SWAP: the table gets the past data; the replaced data stays in {side.name}",
                sql=(clones.swap_tables(table, side),),
            ),
        )
    if route == "undrop":
        current = f"{table.name}__CURRENT_{restore_id}"
        undropped = f"{table.name}__UNDROPPED_{restore_id}"
        # UNDROP needs the name free, so the live table is renamed first; every step carries its inverse
        # and a failure undoes the steps done, newest first (``undo``): the live table gets its name back.
        return (
            Step(
                "set-aside",
                f"rename the current table to {current} (kept)",
                sql=(clones.rename_table(table, current),),
                inverse=(clones.rename_table(Relation(table.database, table.schema, current), table.name),),
            ),
            Step(
                "undrop",
                "bring back the version CREATE OR REPLACE dropped",
                sql=(clones.undrop_table(table),),
                inverse=(clones.rename_table(table, undropped),),
            ),
            Step(
                "clone",
                "clone the undropped table as of the point in time",
                sql=(clones.clone_at(side, table, point, transient=transient),),
                inverse=(sql_drop_table(side, dialect),),
            ),
            Step(
                "restore",
                f"SWAP the restored data in; the undropped table stays in {side.name}, the current one in {current}",
                sql=(clones.swap_tables(table, side),),
            ),
        )
    raise ValueError("no plan for an impossible recovery")
