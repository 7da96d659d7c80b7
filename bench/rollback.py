"""Benchmark 3: rollback by re-publishing the previous colour vs time-travel restore of one table.

For each R, a fresh DuckLake warehouse holds ``views`` small models plus one table of R rows in both
colours. Re-publish = the real cutover step of ``republish_plan`` (re-points every consumer view, one
transaction). Restore = the real steps of ``time_travel_plan`` (verify the past version, then keep the
current rows aside and refill the table from ``AT (VERSION => v)``, one transaction), after the table was
damaged. Both are repeated and their medians compared.
"""

from __future__ import annotations

from pathlib import Path

from bench.measure import Say, median, ms, ratio, silent, timed
from bench.results import BenchResult, Ratio, Table
from bench.warehouse import (
    DB,
    SCHEMA,
    create_colour_tables,
    cutover_step,
    model_names,
    published,
    run_step,
    temp_engine,
)
from pipelineops.engines.duckdb import LocalEngine
from pipelineops.plan.bluegreen_swap import colour_schema
from pipelineops.plan.history import Colour, other
from pipelineops.plan.rollback import RepublishInputs, republish_plan, time_travel_plan
from pipelineops.plan.sql import DUCKDB, Relation
from pipelineops.plan.sql.time_travel import PointInTime
from pipelineops.plan.steps import Plan

NAME = "rollback"
BIG = "orders"
ROWS = (10_000, 100_000)


def _fill(eng: LocalEngine, table: Relation, rows: int) -> None:
    eng.execute(
        f"CREATE TABLE {table.sql(DUCKDB)} AS SELECT range AS id, (range % 997) * 1.5 AS amount, "
        f"'status_' || (range % 7) AS status FROM range({int(rows)})"
    )


def _fingerprint(eng: LocalEngine, table: Relation) -> tuple[object, ...]:
    row = eng.query(f"SELECT count(*) AS n, sum(amount) AS s, sum(id) AS i FROM {table.sql(DUCKDB)}")[0]
    return (row["n"], row["s"], row["i"])


def _damage(eng: LocalEngine, table: Relation) -> None:
    """A bad load: a tenth of the rows changed, a seventh deleted."""
    t = table.sql(DUCKDB)
    with eng.transaction():
        eng.execute(f"UPDATE {t} SET amount = amount * 2 WHERE id % 10 = 0")
        eng.execute(f"DELETE FROM {t} WHERE id % 7 = 0")


def _restore(eng: LocalEngine, plan: Plan) -> None:
    """The local restore plan as the rollback command runs it: verify, then the one-transaction restore."""
    eng.query(plan.step("verify").sql[0])
    run_step(eng, plan.step("restore"))


def measure_rows(
    rows: int, *, views: int, repeats: int, workdir: Path | None = None, say: Say = silent
) -> dict[str, float]:
    names = (*model_names(views - 1), BIG)
    pub = published(names)
    table = Relation(DB, colour_schema(SCHEMA, "BLUE"), BIG)
    republish: list[float] = []
    restore: list[float] = []
    ok = True
    with temp_engine(workdir) as eng:
        say(f"R={rows:,}: creating {views} models per colour, {BIG} with {rows:,} rows")
        create_colour_tables(eng, names[:-1])
        with eng.transaction():
            _fill(eng, table, rows)
            _fill(eng, Relation(DB, colour_schema(SCHEMA, "GREEN"), BIG), rows)
        run_step(eng, cutover_step("BLUE", pub))
        good = _fingerprint(eng, table)
        version = eng.snapshot_version()
        current: Colour = "BLUE"
        for i in range(repeats):
            target = other(current)
            plan = republish_plan(
                RepublishInputs(
                    environment="bench",
                    dialect=DUCKDB,
                    database=DB,
                    consumer_schemas=(SCHEMA,),
                    current=current,
                    target=target,
                    target_deploy=f"b{i}",
                    published=pub,
                    existing_views={SCHEMA: names},
                )
            )
            republish.append(timed(lambda p=plan: run_step(eng, p.step("cutover"))))  # type: ignore[misc]
            current = target
            _damage(eng, table)
            tt = time_travel_plan(
                dialect=DUCKDB, table=table, point=PointInTime("version", version), restore_id=f"b{i}"
            )

            restore.append(timed(lambda plan=tt: _restore(eng, plan)))  # type: ignore[misc]
            ok = ok and _fingerprint(eng, table) == good
            eng.execute(f"DROP TABLE {Relation(DB, table.schema, f'{BIG}__REPLACED_b{i}').sql(DUCKDB)}")
        statements = (len(plan.step("cutover").sql), len(tt.step("restore").sql) + 1)
    say(f"R={rows:,}: republish {ms(median(republish))} ms, restore {ms(median(restore))} ms")
    return {
        "republish_s": median(republish),
        "restore_s": median(restore),
        "republish_statements": float(statements[0]),
        "restore_statements": float(statements[1]),
        "restored_ok": float(ok),
    }


def measure_rollback(
    rows: tuple[int, ...] = ROWS,
    *,
    views: int = 50,
    repeats: int = 7,
    workdir: Path | None = None,
    say: Say = silent,
) -> BenchResult:
    measured = {r: measure_rows(r, views=views, repeats=repeats, workdir=workdir, say=say) for r in rows}
    table_rows = tuple(
        (
            r,
            ms(m["republish_s"]),
            int(m["republish_statements"]),
            ms(m["restore_s"]),
            int(m["restore_statements"]),
            ratio(m["restore_s"], m["republish_s"]),
            bool(m["restored_ok"]),
        )
        for r, m in measured.items()
    )
    lo, hi = min(rows), max(rows)
    ratios = [
        Ratio(
            f"restore/republish (R={r:,})",
            ratio(m["restore_s"], m["republish_s"]),
            f"time-travel restore of one {r:,}-row table vs re-publishing {views} views",
        )
        for r, m in measured.items()
    ]
    if hi != lo:
        ratios.append(
            Ratio(
                f"restore R={hi:,}/R={lo:,}",
                ratio(measured[hi]["restore_s"], measured[lo]["restore_s"]),
                f"restore grows with the rows ({hi / lo:g}x); republish does not depend on them",
            )
        )
    return BenchResult(
        name=NAME,
        title="Rollback: re-publish vs time-travel restore (local engine)",
        params={"rows R": ",".join(f"{r}" for r in rows), "consumer views": views, "repeats per R": repeats},
        tables=(
            Table(
                "Median ms of each rollback route",
                (
                    "R rows",
                    "republish ms",
                    "republish statements",
                    "restore ms",
                    "restore statements",
                    "restore/republish",
                    "restored rows match",
                ),
                table_rows,
            ),
        ),
        ratios=tuple(ratios),
        checks={
            "restored data equals the version restored to": all(m["restored_ok"] for m in measured.values())
        },
        notes=(
            "Republish re-points every consumer view (the cost of benchmark 1 for that many views); it is "
            "possible only while the previous colour is intact.",
            "Restore counts the verify query plus the restore transaction (copy aside, delete, refill from "
            "the past version); the damage before each restore is not timed.",
        ),
    )
