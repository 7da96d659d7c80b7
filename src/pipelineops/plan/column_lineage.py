"""Column lineage of one compiled SELECT, pure: which parent columns each output column reads.

A compiled dbt model is parsed with sqlglot in the warehouse's dialect, its identifiers normalized the
way the warehouse resolves them (Snowflake folds unquoted names to upper case and keeps quoted ones;
DuckDB compares names case-insensitively), and walked scope by scope (CTEs, derived tables, unions,
subqueries). A reference is ``(relation, column)``: ``relation`` is the unique id of the node whose
relation the SQL reads (``tables`` maps relation names to ids), ``column`` a normalized column name,
``ROWS`` for "which rows it has" and ``STAR`` for "every column" (``select *`` over it).

Every answer errs on the side of reading more: an unqualified column in a scope with several sources
reads that name in all of them; a subquery, a filter, a join condition, a group by, ``distinct``, a
``qualify`` and an ordered ``limit`` decide the rows and so every output column. A column that cannot be
resolved at all makes the whole SQL unprovable (:class:`Unprovable`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.scope import Scope, build_scope

from pipelineops.plan.lineage_model import ROWS, STAR, Column, Lineage, Ref, TableKey, Unprovable, key_of
from pipelineops.plan.sql import Dialect

log = logging.getLogger(__name__)

_MARK = "pipelineops_subquery"


def lineage(sql: str, dialect: Dialect, tables: Mapping[TableKey, str]) -> Lineage:
    """The lineage of ``sql``; raises :class:`Unprovable` with the reason when it cannot be had."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect.sqlglot) if s is not None]
    except SqlglotError as exc:
        raise Unprovable(f"the SQL does not parse ({str(exc).splitlines()[0][:120]})") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise Unprovable("the compiled code is not one SELECT")
    tree = normalize_identifiers(statements[0], dialect=dialect.sqlglot)
    root = build_scope(tree)
    assert root is not None  # a Query always has a scope
    walker = _Walker(tables)
    result = walker.scope(root)
    return Lineage(result.columns, result.rows, result.row_fp, result.star, frozenset(walker.relations))


@dataclass(frozen=True)
class _Result:
    columns: tuple[Column, ...]
    rows: frozenset[Ref]
    row_fp: str
    star: bool
    star_sources: tuple[exp.Table | _Result, ...]

    def find(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def everything(self) -> frozenset[Ref]:
        out = set(self.rows)
        for c in self.columns:
            out |= c.reads
        return frozenset(out)


class _Walker:
    def __init__(self, tables: Mapping[TableKey, str]) -> None:
        self.tables = tables
        self.relations: set[str] = set()
        self.done: dict[int, _Result] = {}

    # --- sources ----------------------------------------------------------------------------------

    def relation(self, table: exp.Table) -> str:
        """The node ``table`` names, or its dotted name when it is none of the nodes known."""
        key = key_of(table)
        found = self.tables.get(key)
        if found is None:
            matches = {uid for k, uid in self.tables.items() if len(key) < len(k) and k[-len(key) :] == key}
            found = matches.pop() if len(matches) == 1 else None
        if found is None:
            return "table:" + ".".join(key)
        self.relations.add(found)
        return found

    def source_in(self, source: exp.Table | _Result, name: str) -> tuple[frozenset[Ref], str] | None:
        if isinstance(source, exp.Table):
            rel = self.relation(source)
            return frozenset({(rel, name)}), f"{rel}.{name}"
        column = source.find(name)
        if column is not None:
            return column.reads, column.fingerprint
        found = [self.source_in(s, name) for s in source.star_sources]
        hits = [f for f in found if f is not None]
        if not hits:
            return None
        return frozenset().union(*(h[0] for h in hits)), "|".join(h[1] for h in hits)

    def sources(self, scope: Scope) -> dict[str, exp.Table | _Result]:
        out: dict[str, exp.Table | _Result] = {}
        for name, (_, source) in scope.selected_sources.items():
            if isinstance(source, Scope):
                out[name] = self.scope(source)
            elif isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
                out[name] = source
            else:  # a table function, UNNEST, VALUES …: nothing this walk can see into
                raise Unprovable(f"the source {name} is not a table or a query")
        return out

    # --- columns ----------------------------------------------------------------------------------

    def resolve(
        self, scope: Scope, column: exp.Column | exp.Identifier, aliases: Mapping[str, Column]
    ) -> tuple[frozenset[Ref], str]:
        name = column.name
        table = column.table if isinstance(column, exp.Column) else ""
        current: Scope | None = scope
        while current is not None:
            found = self._resolve_in(current, name, table, aliases if current is scope else {})
            if found is not None:
                return found
            current = current.parent  # a correlated reference reads the enclosing query
        raise Unprovable(f"the column {column.sql()} is not found in any source")

    def _resolve_in(
        self, scope: Scope, name: str, table: str, aliases: Mapping[str, Column]
    ) -> tuple[frozenset[Ref], str] | None:
        sources = self.sources(scope)
        if table:
            return self.source_in(sources[table], name) if table in sources else None
        hits = [h for h in (self.source_in(s, name) for s in sources.values()) if h is not None]
        if name in aliases:  # a select-list alias used in where/group by/qualify (Snowflake allows it)
            hits.append((aliases[name].reads, aliases[name].fingerprint))
        if not hits:
            return None
        return frozenset().union(*(h[0] for h in hits)), "|".join(h[1] for h in hits)

    def fold(
        self, scope: Scope, node: exp.Expression, aliases: Mapping[str, Column] | None = None
    ) -> tuple[frozenset[Ref], str]:
        """(what ``node`` reads, its fingerprint): columns resolved, subqueries read in full."""
        reads: set[Ref] = set()
        nested: dict[int, Scope] = {}
        for sub in scope.subquery_scopes:  # marked, because transform works on a copy
            sub.expression.meta[_MARK] = len(nested)
            nested[len(nested)] = sub

        def swap(n: exp.Expression) -> exp.Expression:
            mark = n.meta.get(_MARK)
            if mark is not None and mark in nested:
                inner = self.scope(nested[mark])
                reads.update(inner.everything())
                return exp.var(f"({inner.row_fp}:{','.join(c.fingerprint for c in inner.columns)})")
            if isinstance(n, exp.Column) and not isinstance(n.this, exp.Star):
                got, fp = self.resolve(scope, n, aliases or {})
                reads.update(got)
                return exp.var(f"[{fp}]")
            return n

        text = node.transform(swap).sql()
        return frozenset(reads), text

    # --- scopes -----------------------------------------------------------------------------------

    def scope(self, scope: Scope) -> _Result:
        if id(scope) not in self.done:
            expression = scope.expression
            result = self.union(scope) if isinstance(expression, exp.SetOperation) else self.select(scope)
            self.done[id(scope)] = result
        return self.done[id(scope)]

    def union(self, scope: Scope) -> _Result:
        left, right = (self.scope(s) for s in scope.union_scopes)
        op: exp.Expr = scope.expression
        distinct = bool(op.args.get("distinct"))
        limited = any(op.args.get(k) for k in ("limit", "offset", "fetch"))
        tail = " ".join(
            p.sql() for p in (op.args.get(k) for k in ("order", "limit", "offset", "fetch")) if p and limited
        )
        if left.star or right.star or len(left.columns) != len(right.columns):
            everything = left.everything() | right.everything()
            columns = tuple(Column(c.name, everything, "?" + c.fingerprint) for c in left.columns)
            star = True
        else:
            columns = tuple(
                Column(a.name, a.reads | b.reads, f"{a.fingerprint}~{b.fingerprint}")
                for a, b in zip(left.columns, right.columns, strict=True)
            )
            star = False
        rows = left.rows | right.rows
        if distinct or limited:  # the order of a limited union is by its own columns: all of them, to be safe
            for c in columns:
                rows |= c.reads
        fp = f"{type(op).__name__}:{distinct}({left.row_fp})({right.row_fp}){tail}"
        return _Result(columns, rows, fp, star, left.star_sources + right.star_sources)

    def tail(self, scope: Scope, node: exp.Expr) -> tuple[frozenset[Ref], str]:
        """ORDER BY with LIMIT/OFFSET decides rows; alone, ORDER BY decides nothing we compare."""
        parts = [node.args.get(k) for k in ("limit", "offset", "fetch")]
        if not any(parts):
            return frozenset(), ""
        reads: set[Ref] = set()
        text = []
        for part in (node.args.get("order"), *parts):
            if isinstance(part, exp.Expression):
                got, fp = self.fold(scope, part)
                reads |= got
                text.append(fp)
        return frozenset(reads), " ".join(text)

    def select(self, scope: Scope) -> _Result:
        select = scope.expression
        if not isinstance(select, exp.Select):
            raise Unprovable(f"a {type(select).__name__} query is not analysed")
        sources = self.sources(scope)
        columns: list[Column] = []
        star_sources: list[exp.Table | _Result] = []
        aliases: dict[str, Column] = {}
        for projection in select.expressions:
            target = projection.this if isinstance(projection, exp.Column) else projection
            if isinstance(target, exp.Star):
                qualifier = projection.table if isinstance(projection, exp.Column) else ""
                if qualifier and qualifier not in sources:
                    raise Unprovable(f"{projection.sql()} names no source")
                for source in [sources[qualifier]] if qualifier else list(sources.values()):
                    columns += self.expand(source, star_sources)
                continue
            reads, fp = self.fold(scope, projection.unalias(), aliases)
            inner = projection.unalias()
            cast_of = self.fold(scope, inner.this, aliases)[1] if isinstance(inner, exp.Cast) else ""
            name = projection.alias_or_name if projection.output_name else projection.sql()
            column = Column(name, reads, fp, cast_of)
            columns.append(column)
            aliases.setdefault(name, column)
        rows: set[Ref] = set()
        row_fp: list[str] = []
        for name, source in sources.items():
            if isinstance(source, exp.Table):
                rel = self.relation(source)
                rows.add((rel, ROWS))
                row_fp.append(f"{name}={rel}")
            else:
                rows |= source.rows
                row_fp.append(f"{name}=({source.row_fp})")
        for join in select.args.get("joins") or []:
            row_fp.append(f"join {join.side} {join.kind} {join.alias_or_name}")
            on = join.args.get("on")
            if isinstance(on, exp.Expression):
                got, fp = self.fold(scope, on, aliases)
                rows |= got
                row_fp.append(fp)
            for ident in join.args.get("using") or []:
                got, fp = self.resolve(scope, ident, aliases)
                rows |= got
                row_fp.append(f"using {fp}")
        for key in ("where", "group", "having", "qualify", "distinct"):
            part = select.args.get(key)
            if isinstance(part, exp.Expression):
                got, fp = self.fold(scope, part, aliases)
                rows |= got
                row_fp.append(f"{key} {fp}")
        if select.args.get("distinct"):
            for column in columns:
                rows |= column.reads
        for nested in scope.subquery_scopes:  # wherever they are, they may decide rows
            rows |= self.scope(nested).everything()
        got, fp = self.tail(scope, select)
        return _Result(
            tuple(columns),
            frozenset(rows | got),
            " ".join([*row_fp, fp]),
            bool(star_sources),
            tuple(star_sources),
        )

    def expand(self, source: exp.Table | _Result, star_sources: list[exp.Table | _Result]) -> list[Column]:
        if isinstance(source, exp.Table):
            rel = self.relation(source)
            star_sources.append(source)
            return [Column(f"{STAR}{rel}", frozenset({(rel, STAR)}), f"{rel}.*")]
        star_sources.extend(source.star_sources)
        return list(source.columns)
