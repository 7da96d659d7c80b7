"""Column-aware narrowing of the slim-ci selection, pure: build what a change can affect, defer the rest.

dbt's ``state:modified+`` selects every descendant of a modified node. For each modified node this
module compares production's compiled SQL with the pull request's (sqlglot, the warehouse's dialect):
output columns added, removed, retyped or rewritten, and whether the rows changed (filter, grain, join:
then every column counts as changed). It then walks the selection parents first: a descendant is built
when it reads a changed column of a parent (anywhere in its SQL) or any column of a parent whose rows
changed, and its own changed columns are those derived from what changed. A descendant that reads none
of the changed columns is skipped and deferred to production — only then.

Whatever the analysis cannot prove is built, with everything it feeds (every column counts as changed):
``select *`` over a changed relation, Python models, SQL that does not parse, macros that introspect
the warehouse, snapshots, ephemeral models, materializations and resource types it does not know, a
changed seed, a node without compiled code on either side. A test runs when any node it tests is built.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pipelineops.plan.column_lineage import lineage
from pipelineops.plan.impact_facts import Candidate as Candidate
from pipelineops.plan.impact_facts import Sql as Sql
from pipelineops.plan.impact_facts import inline_candidates as inline_candidates
from pipelineops.plan.impact_facts import sql_facts as sql_facts
from pipelineops.plan.impact_facts import tables_of as tables_of
from pipelineops.plan.impact_facts import unprovable
from pipelineops.plan.lineage_model import ROWS, STAR, Lineage, TableKey, Unprovable
from pipelineops.plan.manifest_facts import ManifestFacts, NodeFacts
from pipelineops.plan.sql import Dialect

log = logging.getLogger(__name__)

Mode = Literal["columns", "nodes"]
MODES: tuple[Mode, ...] = ("columns", "nodes")
TESTS = ("test", "unit_test")
ALL = frozenset({ROWS})  # every column (and the rows) changed


@dataclass(frozen=True)
class Decision:
    unique_id: str
    name: str
    resource_type: str
    built: bool
    why: str  # "built: reads `x` (changed)" / "skipped: reads none of the changed columns (`a`)"
    changed: tuple[str, ...] = ()  # this node's changed output columns; ("*",) = every column


@dataclass(frozen=True)
class Impact:
    decisions: tuple[Decision, ...]
    notes: tuple[str, ...] = ()

    @property
    def before(self) -> int:
        return len(self.decisions)

    @property
    def built(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.built)

    @property
    def skipped(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if not d.built)


def _shown(columns: frozenset[str] | set[str]) -> str:
    """Changed columns a skipped node could have read (a parent whose rows changed is never skipped)."""
    return ", ".join(f"`{c}`" for c in sorted(columns))


def _diff(old: Lineage, new: Lineage) -> tuple[frozenset[str], str]:
    """(changed output columns, how they changed) of one modified node; ALL when the rows changed."""
    if old.row_fingerprint != new.row_fingerprint:
        return ALL, "filter/grain/join changed (every column counts as changed)"
    before = {c.name: c for c in old.columns}
    after = {c.name: c for c in new.columns}
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    retyped: list[str] = []
    rewritten: list[str] = []
    for name in sorted(set(after) & set(before)):
        a, b = before[name], after[name]
        if a.fingerprint != b.fingerprint:
            same_inner = a.cast_of and b.cast_of and a.cast_of == b.cast_of
            (retyped if same_inner else rewritten).append(name)
    parts = [
        f"{label} {', '.join(f'`{n}`' for n in names)}"
        for label, names in (
            ("added", added),
            ("removed", removed),
            ("retyped", retyped),
            ("changed expression of", rewritten),
        )
        if names
    ]
    if (old.star or new.star) and parts:
        return ALL, "its select * output changed"
    return frozenset([*added, *removed, *retyped, *rewritten]), "; ".join(parts)


def _reached(
    node: NodeFacts, line: Lineage, changed: Mapping[str, frozenset[str]]
) -> tuple[frozenset[str], list[str], str]:
    """(this node's changed columns, the changed inputs it reads, why everything) from its parents."""
    hit: list[str] = []
    rows_hit = False
    for parent in node.parents:
        if parent == node.unique_id or not changed.get(parent):
            continue
        name = parent.split(".")[-1]
        columns = changed[parent]
        if parent not in line.relations:
            return ALL, [], f"reads {name} where its SQL does not show it (every column counts as changed)"
        if (parent, STAR) in line.reads:
            return ALL, [], f"select * over {name}, which changed (every column counts as changed)"
        if ROWS in columns:
            hit.append(f"every column of {name}")
            rows_hit = True
            continue
        read = sorted(c for (rel, c) in line.reads if rel == parent and c in columns)
        hit += [f"{name}.{c}" for c in read]
        rows_hit = rows_hit or any(c in columns for (rel, c) in line.rows if rel == parent)
    if rows_hit:
        return ALL, hit, ""
    hits = {(p, c) for p in node.parents for c in changed.get(p, frozenset())}
    out = frozenset(c.name for c in line.columns if c.reads & hits)
    return out, hit, ""


def analyse(
    candidates: Sequence[Candidate],
    *,
    pr: ManifestFacts,
    pr_sql: Mapping[str, Sql],
    state_sql: Mapping[str, Sql],
    dialect: Dialect,
) -> Impact:
    """Which candidates (dbt's state:modified+, parents before children) to build, each with why."""
    tables = tables_of(pr_sql, state_sql, dialect)
    changed: dict[str, frozenset[str]] = {}
    decisions: dict[str, Decision] = {}
    notes: list[str] = []
    order = _topological([c.unique_id for c in candidates], pr)
    by_id = {c.unique_id: c for c in candidates}
    for uid in order:
        node = pr.nodes[uid]
        if node.resource_type in TESTS:
            continue
        cand = by_id[uid]
        new = pr_sql.get(uid)
        reason = unprovable(node, new, pr)
        parents_changed = [p for p in node.parents if changed.get(p)]
        if not cand.modified and not parents_changed:
            decisions[uid] = _decision(
                node, False, "skipped: no parent it reads changed (they are skipped too)"
            )
            continue
        if reason:
            changed[uid] = ALL
            decisions[uid] = _decision(node, True, f"built: {reason}, and everything it feeds", ALL)
            continue
        try:
            if new is None or new.compiled is None:
                raise Unprovable("the PR's compile has no SQL for it")
            line = lineage(new.compiled, dialect, tables)
            own, how = (
                _own(node, cand, state_sql.get(uid), line, dialect, tables, notes)
                if cand.modified
                else (frozenset(), "")
            )
        except Unprovable as exc:
            changed[uid] = ALL
            decisions[uid] = _decision(node, True, f"built: {exc}; every column counts as changed", ALL)
            continue
        reached, hit, why_all = _reached(node, line, changed)
        mine = ALL if ROWS in own or ROWS in reached else own | reached
        changed[uid] = mine
        if cand.modified:
            text = f"built: modified — {how}" if how else "built: modified (no output column changed)"
            if hit:
                text += f"; reads {', '.join(f'`{h}`' for h in hit)} (changed)"
        elif why_all:
            text = f"built: {why_all}"
        elif hit:
            text = f"built: reads {', '.join(f'`{h}`' for h in hit)} (changed)"
        else:
            upstream = set().union(*(changed[p] for p in parents_changed))
            decisions[uid] = _decision(
                node, False, f"skipped: reads none of the changed columns ({_shown(upstream)})"
            )
            continue
        decisions[uid] = _decision(node, True, text, mine)
    built = {uid for uid, d in decisions.items() if d.built}
    for uid in order:
        node = pr.nodes[uid]
        if node.resource_type not in TESTS:
            continue
        tested = [p for p in node.parents if p in built]
        if by_id[uid].modified:
            decisions[uid] = _decision(node, True, "built: the test itself changed")
        elif tested:
            names = ", ".join(p.split(".")[-1] for p in tested)
            decisions[uid] = _decision(node, True, f"built: tests {names}, which is built")
        else:
            decisions[uid] = _decision(node, False, "skipped: tests only nodes that are skipped")
    return Impact(tuple(decisions[uid] for uid in order), tuple(notes))


def _own(
    node: NodeFacts,
    cand: Candidate,
    old: Sql | None,
    line: Lineage,
    dialect: Dialect,
    tables: Mapping[TableKey, str],
    notes: list[str],
) -> tuple[frozenset[str], str]:
    """What a modified node's own change does to its columns (production's SQL against the PR's)."""
    if not cand.explained:
        raise Unprovable("dbt selected it for a reason the manifest diff does not show")
    if any(r.startswith("config changed") for r in cand.reasons):
        raise Unprovable("its config changed")
    if old is None or old.compiled is None:
        notes.append(
            f"{node.name}: production's compiled SQL is not available (the published manifest holds none "
            "for it, and it was not recompiled): kept, with everything it feeds"
        )
        raise Unprovable("production's compiled code for it is not available")
    return _diff(lineage(old.compiled, dialect, tables), line)


def _decision(node: NodeFacts, built: bool, why: str, changed: frozenset[str] = frozenset()) -> Decision:
    shown = ("*",) if ROWS in changed else tuple(sorted(changed))
    return Decision(node.unique_id, node.name, node.resource_type, built, why, shown)


def _topological(ids: Sequence[str], pr: ManifestFacts) -> list[str]:
    """``ids`` parents first (ties by id), over the parent links inside the set."""
    wanted = {uid for uid in ids if uid in pr.nodes}
    done: list[str] = []
    seen: set[str] = set()
    for start in sorted(wanted):
        stack = [(start, False)]
        while stack:
            uid, expanded = stack.pop()
            if expanded:
                done.append(uid)
                continue
            if uid in seen:
                continue
            seen.add(uid)
            stack.append((uid, True))
            for parent in sorted(pr.nodes[uid].parents, reverse=True):
                if parent in wanted and parent not in seen:
                    stack.append((parent, False))
    return done


def selection(impact: Impact) -> tuple[str, ...]:
    """The dbt selectors of the narrowed build: each built node by its name (tests come along, eagerly)."""
    return tuple(d.name for d in impact.decisions if d.built)


def totals(impact: Impact) -> str:
    nodes = [d for d in impact.decisions if d.resource_type not in TESTS]
    tests = [d for d in impact.decisions if d.resource_type in TESTS]
    return (
        f"{sum(d.built for d in nodes)} of {len(nodes)} node(s) and {sum(d.built for d in tests)} of "
        f"{len(tests)} test(s) built after column-level narrowing ({len(impact.decisions)} selected by "
        f"state:modified+, {len(impact.built)} built, {len(impact.skipped)} skipped and deferred to production)"
    )
