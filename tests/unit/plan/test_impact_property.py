"""Property: column-aware narrowing never skips a node whose output actually changed.

Random small DAGs of models (explicit columns, expressions, ``select *``, filters, joins, group by, CTEs)
over one source table, and one random edit of one model (a column added, removed, renamed or rewritten, a
filter changed). Both versions of every model run on DuckDB, parents first, and every relation is
compared (columns, types and rows; a model that fails to build counts as changed). The set the analysis
builds out of dbt's ``state:modified+`` (the edited model and all its descendants) must contain every
relation that changed. ``PIPELINEOPS_PROPERTY_EXAMPLES`` runs more examples (the default is small).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelineops.plan import impact as im
from pipelineops.plan.manifest_facts import read_manifest
from pipelineops.plan.sql import DUCKDB

EXAMPLES = int(os.environ.get("PIPELINEOPS_PROPERTY_EXAMPLES", "40"))
SOURCE_ROWS = "(1, 1, 10, 5), (2, 1, 20, 6), (3, 2, 30, 7), (4, 2, 40, 8), (5, 3, 50, 9), (6, 3, 60, 10)"
SOURCE_COLUMNS = ("id", "grp", "a", "b")


def rel(name: str) -> str:
    return f'"lake"."S"."{name}"'


@dataclass(frozen=True)
class Spec:
    """One model: its parents and how its SQL is made (kept as data so that an edit can change it)."""

    name: str
    parents: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # (output name, expression over the first parent, alias p)
    star: bool = False
    where: str = ""
    grouped: bool = False
    cte: bool = False

    def sql(self) -> str:
        first = self.parents[0]
        if self.star:
            select = "p.*"
        elif self.grouped:
            select = ", ".join("p.grp as grp" if n == "grp" else f"sum({e}) as {n}" for n, e in self.columns)
        else:
            select = ", ".join(f"{e} as {n}" for n, e in self.columns)
        source = f"{rel(first)} as p"
        if len(self.parents) > 1:
            source += f" join {rel(self.parents[1])} as q on q.id = p.id"
            if not self.star and not self.grouped:
                select += ", q.id as other_id"
        where = f" where {self.where}" if self.where else ""
        group = " group by p.grp" if self.grouped else ""
        body = f"select {select} from {source}{where}{group}"
        if self.cte:
            return f"with base as ({body}) select b.* from base as b"
        return body

    def outputs(self, known: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
        if self.star:
            return known[self.parents[0]]
        names = tuple(n for n, _ in self.columns)
        if len(self.parents) > 1 and not self.grouped:
            names += ("other_id",)
        return names


@st.composite
def projects(draw: st.DrawFn) -> tuple[list[Spec], dict[str, tuple[str, ...]]]:
    known: dict[str, tuple[str, ...]] = {"src": SOURCE_COLUMNS}
    specs: list[Spec] = []
    for i in range(draw(st.integers(2, 5))):
        name = f"m{i}"
        first = draw(st.sampled_from(["src", *[s.name for s in specs]]))
        cols = known[first]
        second = draw(st.sampled_from([None, *[s.name for s in specs if s.name != first]]))
        if second is not None and "id" not in known[second]:
            second = None
        star = draw(st.booleans()) and draw(st.booleans())
        picked = draw(st.lists(st.sampled_from(cols), min_size=1, max_size=len(cols), unique=True))
        grouped = not star and "grp" in cols and draw(st.integers(0, 4)) == 0
        columns = []
        for c in picked:
            expr = draw(st.sampled_from([f"p.{c}", f"p.{c} + 1", f"p.{c} * 2"]))
            columns.append((c, expr))
        if "id" in cols and not grouped and ("id", "p.id") not in columns:
            columns = [(n, e) for n, e in columns if n != "id"] + [("id", "p.id")]
        if grouped:
            columns = [("grp", "p.grp"), *[(n, e) for n, e in columns if n not in ("grp", "id")]]
        filt = draw(st.sampled_from(["", f"p.{cols[-1]} > 1"])) if not grouped else ""
        parents = (first,) if second is None or "id" not in cols else (first, second)
        spec = Spec(name, parents, tuple(columns), star, filt, grouped, draw(st.booleans()))
        specs.append(spec)
        known[name] = spec.outputs(known)
    return specs, known


def edit(spec: Spec, kind: str) -> Spec:
    if kind == "add":
        return Spec(
            spec.name,
            spec.parents,
            (*spec.columns, ("added", "42")),
            spec.star,
            spec.where,
            spec.grouped,
            spec.cte,
        )
    if kind == "where":
        return Spec(spec.name, spec.parents, spec.columns, spec.star, "p.id > 2", spec.grouped, spec.cte)
    if spec.star or not spec.columns:
        return Spec(spec.name, spec.parents, spec.columns, spec.star, "p.id > 3", spec.grouped, spec.cte)
    (name, expr), rest = spec.columns[-1], spec.columns[:-1]
    if kind == "remove" and rest:
        return Spec(spec.name, spec.parents, rest, spec.star, spec.where, spec.grouped, spec.cte)
    if kind == "rename":
        return Spec(
            spec.name,
            spec.parents,
            (*rest, (name + "_r", expr)),
            spec.star,
            spec.where,
            spec.grouped,
            spec.cte,
        )
    return Spec(
        spec.name,
        spec.parents,
        (*rest, (name, f"({expr}) - 7")),
        spec.star,
        spec.where,
        spec.grouped,
        spec.cte,
    )


def build(specs: list[Spec]) -> dict[str, object]:
    """Every model built on DuckDB, parents first: its columns, types and sorted rows (or the error)."""
    con = duckdb.connect()
    try:
        con.execute("ATTACH ':memory:' AS lake")
        con.execute("CREATE SCHEMA lake.S")
        con.execute(f"CREATE TABLE {rel('src')} (id INT, grp INT, a INT, b INT)")
        con.execute(f"INSERT INTO {rel('src')} VALUES {SOURCE_ROWS}")
        out: dict[str, object] = {}
        for spec in specs:
            try:
                con.execute(f"CREATE TABLE {rel(spec.name)} AS {spec.sql()}")
                described = con.execute(f"DESCRIBE {rel(spec.name)}").fetchall()
                rows = con.execute(f"SELECT * FROM {rel(spec.name)}").fetchall()
                out[spec.name] = (tuple((d[0], d[1]) for d in described), sorted(rows, key=repr))
            except duckdb.Error as exc:
                out[spec.name] = f"error: {type(exc).__name__}"
                con.execute(f"CREATE TABLE {rel(spec.name)} AS SELECT 1 AS broken")  # later models fail too
        return out
    finally:
        con.close()


def descendants(specs: list[Spec], root: str) -> set[str]:
    found = {root}
    for spec in specs:
        if found & set(spec.parents):
            found.add(spec.name)
    return found


def narrowed(old: list[Spec], new: list[Spec], modified: str) -> set[str]:
    chosen = descendants(new, modified)
    nodes = {
        f"model.p.{s.name}": {
            "resource_type": "model",
            "name": s.name,
            "config": {"materialized": "table"},
            "depends_on": {"nodes": [f"model.p.{p}" for p in s.parents if p != "src"]},
        }
        for s in new
    }
    nodes["model.p.src"] = {"resource_type": "model", "name": "src", "config": {"materialized": "table"}}
    pr_sql = {f"model.p.{s.name}": im.Sql(s.sql(), rel(s.name), "sql") for s in new}
    state_sql = {f"model.p.{s.name}": im.Sql(s.sql(), rel(s.name), "sql") for s in old}
    pr_sql["model.p.src"] = state_sql["model.p.src"] = im.Sql(None, rel("src"), "sql")
    cands = [
        im.Candidate(f"model.p.{s.name}", s.name == modified, ("file changed",) if s.name == modified else ())
        for s in new
        if s.name in chosen
    ]
    impact = im.analyse(
        cands, pr=read_manifest({"nodes": nodes}), pr_sql=pr_sql, state_sql=state_sql, dialect=DUCKDB
    )
    return {d.name for d in impact.built}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(projects(), st.data())
def test_the_narrowed_set_contains_every_node_whose_output_changed(
    project: tuple[list[Spec], dict[str, tuple[str, ...]]], data: st.DataObject
) -> None:
    specs, _ = project
    target = data.draw(st.sampled_from([s.name for s in specs]))
    kind = data.draw(st.sampled_from(["add", "remove", "rename", "rewrite", "where"]))
    new = [edit(s, kind) if s.name == target else s for s in specs]
    before, after = build(specs), build(new)
    changed = {name for name in after if after[name] != before[name]}
    chosen = narrowed(specs, new, target)
    assert changed <= chosen, (kind, target, [s.sql() for s in new], changed - chosen)


def test_the_generator_makes_runnable_projects() -> None:
    spec = Spec("m0", ("src",), (("a", "p.a"), ("id", "p.id")), where="p.b > 1", cte=True)
    built = build([spec])
    assert built["m0"] != "error"
    assert edit(spec, "remove").columns == (("a", "p.a"),)
    assert build([Spec("bad", ("src",), (("x", "p.nothing"),))])["bad"] == "error: BinderException"
