"""Throwaway local warehouses (DuckDB + DuckLake in a temp dir) filled with blue/green tables."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelineops.engines.base import run_statements
from pipelineops.engines.duckdb import LocalEngine
from pipelineops.plan.bluegreen_swap import Published, colour_schema, cutover_steps
from pipelineops.plan.history import Colour
from pipelineops.plan.sql import DUCKDB, Dialect, Relation, create_schema
from pipelineops.plan.steps import Step

DB = "lake"
SCHEMA = "X"


@contextmanager
def temp_engine(parent: Path | None = None) -> Iterator[LocalEngine]:
    """A LocalEngine on a fresh warehouse in a temp dir, closed and deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="pipelineops-bench-", dir=parent) as tmp:
        eng = LocalEngine(Path(tmp) / "warehouse", database=DB)
        try:
            yield eng
        finally:
            eng.close()


def model_names(n: int) -> tuple[str, ...]:
    return tuple(f"model_{i:04d}" for i in range(n))


def published(names: tuple[str, ...], schema: str = SCHEMA) -> tuple[Published, ...]:
    return tuple(Published(schema, n) for n in names)


def create_colour_tables(
    eng: LocalEngine, names: tuple[str, ...], *, rows: int = 1, schema: str = SCHEMA
) -> None:
    """One table per name in ``<schema>__BLUE`` and ``<schema>__GREEN``; column ``colour`` says which."""
    for colour in ("BLUE", "GREEN"):
        physical = colour_schema(schema, colour)
        with eng.transaction():
            eng.execute(create_schema(DB, physical, DUCKDB))
            for name in names:
                eng.execute(
                    f"CREATE TABLE {Relation(DB, physical, name).sql(DUCKDB)} AS "
                    f"SELECT '{colour}' AS colour, range AS id FROM range({int(rows)})"
                )


def cutover_step(
    colour: Colour, pub: tuple[Published, ...], *, dialect: Dialect = DUCKDB, schema: str = SCHEMA
) -> Step:
    """The real cutover step a deploy of ``colour`` runs (views already exist: none are dropped)."""
    steps = cutover_steps(
        dialect=dialect,
        database=DB,
        colour=colour,
        consumer_schemas=(schema,),
        published=pub,
        existing_views={schema: tuple(p.name for p in pub)},
        why="benchmark",
    )
    return next(s for s in steps if s.name == "cutover")


def run_step(eng: LocalEngine, step: Step) -> None:
    run_statements(eng, step.sql, transactional=step.transactional)


def view_colour(eng: LocalEngine, name: str, schema: str = SCHEMA) -> str:
    rows = eng.query(f"SELECT DISTINCT colour FROM {Relation(DB, schema, name).sql(DUCKDB)}")
    return ",".join(sorted(str(r["colour"]) for r in rows))
