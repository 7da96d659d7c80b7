"""The values of column lineage, pure: references, output columns, a query's lineage, relation keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from pipelineops.plan.sql import Dialect

ROWS = ""  # the rows a relation holds (its grain, filters and joins)
STAR = "*"  # every column of a relation, whatever they are
Ref = tuple[str, str]
TableKey = tuple[str, ...]


class Unprovable(ValueError):
    """The SQL cannot be analysed: the caller must assume every column changed."""


@dataclass(frozen=True)
class Column:
    name: str
    reads: frozenset[Ref]
    fingerprint: str  # the expression, with every column replaced by what it resolves to
    cast_of: str = ""  # the fingerprint inside a top-level CAST (to tell a retype from a rewrite)


@dataclass(frozen=True)
class Lineage:
    columns: tuple[Column, ...]
    rows: frozenset[Ref]  # what decides which rows there are: it affects every column
    row_fingerprint: str
    star: bool  # the output includes columns only a ``*`` names
    relations: frozenset[str]  # every node the SQL reads

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def reads(self) -> frozenset[Ref]:
        out = set(self.rows)
        for c in self.columns:
            out |= c.reads
        return frozenset(out)


def table_key(relation: str, dialect: Dialect) -> TableKey:
    """A relation name (``"db"."schema"."name"``) as normalized parts; () when it does not parse."""
    try:
        table = exp.to_table(relation, dialect=dialect.sqlglot)
    except (SqlglotError, ValueError):
        return ()
    return key_of(normalize_identifiers(table, dialect=dialect.sqlglot))


def key_of(table: exp.Table) -> TableKey:
    return tuple(p.name for p in table.parts if isinstance(p, exp.Identifier))
