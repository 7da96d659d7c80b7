"""The data diff of one model: a PR relation against the production relation it replaces, in the warehouse.

Every statement is read-only and returns aggregates, except the example queries (``LIMIT n`` rows of keys and
one column's before/after values) and the profile's ``MIN``/``MAX``. Rows are matched on the model's key;
each compared column is reduced to ``HASH(column)`` on both sides before the join, so the join carries keys
and hashes, never the values. A sample keeps the rows whose ``HASH(CAST(key AS VARCHAR))`` falls in the
first ``per_10000`` of 10,000 buckets: the same keys on both sides, the same keys on every run.

Column names come from the warehouse's information schema and are validated by ``ident``; aliases are
unquoted so both dialects fold them alike, and result columns are read case-insensitively.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pipelineops.plan.sql.common import Relation, ident
from pipelineops.plan.sql.dialect import Dialect

Side = Literal["added", "removed"]
BUCKETS = 10_000


@dataclass(frozen=True)
class DiffColumn:
    """A column compared on both sides; ``as_text`` when its type differs between them (retyped)."""

    name: str
    as_text: bool = False

    def expr(self, dialect: Dialect, alias: str = "") -> str:
        quoted = ident(self.name, dialect, field="column")
        column = f"{alias}.{quoted}" if alias else quoted
        return f"CAST({column} AS VARCHAR)" if self.as_text else column


def _sample(keys: Sequence[DiffColumn], per_10000: int | None, dialect: Dialect) -> str:
    if per_10000 is None:
        return ""
    hashed = ", ".join(f"CAST({ident(k.name, dialect, field='column')} AS VARCHAR)" for k in keys)
    return f" WHERE ABS(MOD(HASH({hashed}), {BUCKETS})) < {int(per_10000)}"


def _keys_select(keys: Sequence[DiffColumn], dialect: Dialect) -> list[str]:
    return [f"{k.expr(dialect)} AS k_{i}" for i, k in enumerate(keys, 1)]


def _join_on(keys: Sequence[DiffColumn]) -> str:
    return " AND ".join(f"n.k_{i} = o.k_{i}" for i in range(1, len(keys) + 1))


def _key_order(keys: Sequence[DiffColumn], alias: str) -> str:
    return ", ".join(f"{alias}.k_{i}" for i in range(1, len(keys) + 1))


def row_counts(pr: Relation, prod: Relation, dialect: Dialect) -> str:
    """Rows of both relations: columns ``pr_rows``, ``prod_rows``."""
    return (
        f"SELECT (SELECT COUNT(*) FROM {pr.sql(dialect)}) AS pr_rows, "
        f"(SELECT COUNT(*) FROM {prod.sql(dialect)}) AS prod_rows"
    )


def key_diff(
    pr: Relation,
    prod: Relation,
    keys: Sequence[DiffColumn],
    columns: Sequence[DiffColumn],
    dialect: Dialect,
    *,
    per_10000: int | None = None,
) -> str:
    """Rows added, removed, matched and changed, and per compared column (``c_<i>``, in the order of
    ``columns``) the matched rows whose value changed. Columns ``added``, ``removed``, ``matched``,
    ``changed``, ``c_1`` … ``c_n``."""
    if not keys:
        raise ValueError("a key diff needs at least one key column")

    def side(relation: Relation) -> str:
        hashes = [f"HASH({c.expr(dialect)}) AS h_{i}" for i, c in enumerate(columns, 1)]
        body = ", ".join([*_keys_select(keys, dialect), *hashes, "1 AS p"])
        return f"SELECT {body} FROM {relation.sql(dialect)}{_sample(keys, per_10000, dialect)}"

    both = "n.p = 1 AND o.p = 1"
    differs = [f"n.h_{i} IS DISTINCT FROM o.h_{i}" for i in range(1, len(columns) + 1)]
    changed = f"{both} AND ({' OR '.join(differs)})" if differs else "1 = 0"
    per_column = [
        f"SUM(CASE WHEN {both} AND {d} THEN 1 ELSE 0 END) AS c_{i}" for i, d in enumerate(differs, 1)
    ]
    select = ", ".join(
        [
            "SUM(CASE WHEN o.p IS NULL THEN 1 ELSE 0 END) AS added",
            "SUM(CASE WHEN n.p IS NULL THEN 1 ELSE 0 END) AS removed",
            f"SUM(CASE WHEN {both} THEN 1 ELSE 0 END) AS matched",
            f"SUM(CASE WHEN {changed} THEN 1 ELSE 0 END) AS changed",
            *per_column,
        ]
    )
    return (
        f"WITH new_side AS ({side(pr)}), old_side AS ({side(prod)}) "
        f"SELECT {select} FROM new_side AS n FULL OUTER JOIN old_side AS o ON {_join_on(keys)}"
    )


def key_examples(
    pr: Relation,
    prod: Relation,
    keys: Sequence[DiffColumn],
    side_: Side,
    limit: int,
    dialect: Dialect,
    *,
    per_10000: int | None = None,
) -> str:
    """Up to ``limit`` keys (``k_1`` …) of rows only the PR has (``added``) or only production has, in key order."""
    sample = _sample(keys, per_10000, dialect)
    keys_sql = ", ".join(_keys_select(keys, dialect))
    here, there = (pr, prod) if side_ == "added" else (prod, pr)
    return (
        f"WITH n AS (SELECT {keys_sql} FROM {here.sql(dialect)}{sample}), "
        f"o AS (SELECT {keys_sql} FROM {there.sql(dialect)}{sample}) "
        f"SELECT {_key_order(keys, 'n')} FROM n WHERE NOT EXISTS (SELECT 1 FROM o WHERE {_join_on(keys)}) "
        f"ORDER BY {_key_order(keys, 'n')} LIMIT {int(limit)}"
    )


def value_examples(
    pr: Relation,
    prod: Relation,
    keys: Sequence[DiffColumn],
    column: DiffColumn,
    limit: int,
    dialect: Dialect,
    *,
    per_10000: int | None = None,
) -> str:
    """Up to ``limit`` matched rows whose ``column`` changed: ``k_1`` …, ``before``, ``after``, in key order."""
    sample = _sample(keys, per_10000, dialect)
    body = ", ".join([*_keys_select(keys, dialect), f"{column.expr(dialect)} AS v"])
    return (
        f"WITH new_side AS (SELECT {body} FROM {pr.sql(dialect)}{sample}), "
        f"old_side AS (SELECT {body} FROM {prod.sql(dialect)}{sample}) "
        f"SELECT {_key_order(keys, 'n')}, o.v AS before, n.v AS after "
        f"FROM new_side AS n JOIN old_side AS o ON {_join_on(keys)} WHERE n.v IS DISTINCT FROM o.v "
        f"ORDER BY {_key_order(keys, 'n')} LIMIT {int(limit)}"
    )


@dataclass(frozen=True)
class ProfileColumn:
    """A profiled column; ``extremes`` False leaves out MIN/MAX (sensitive, boolean or nested values)."""

    name: str
    extremes: bool = True


def profile(relation: Relation, columns: Sequence[ProfileColumn], dialect: Dialect, *, approx: bool) -> str:
    """Rows, and per column (``<i>``): non-null count ``nn_<i>``, distinct count ``d_<i>`` (approximate
    when ``approx``), and ``min_<i>``/``max_<i>`` where asked."""
    distinct = "APPROX_COUNT_DISTINCT({})" if approx else "COUNT(DISTINCT {})"
    parts = ["COUNT(*) AS n"]
    for i, c in enumerate(columns, 1):
        col = ident(c.name, dialect, field="column")
        parts += [f"COUNT({col}) AS nn_{i}", f"{distinct.format(col)} AS d_{i}"]
        if c.extremes:
            parts += [f"MIN({col}) AS min_{i}", f"MAX({col}) AS max_{i}"]
    return f"SELECT {', '.join(parts)} FROM {relation.sql(dialect)}"


def session_timeout(seconds: int, dialect: Dialect) -> tuple[str, ...]:
    """Snowflake cancels any statement of the session that runs longer than ``seconds``; the local engine
    has no statement timeout (the command checks the budget between statements)."""
    return tuple(dialect.statement_timeout(seconds))


def session_timeout_reset(dialect: Dialect) -> tuple[str, ...]:
    return tuple(dialect.statement_timeout_reset())
