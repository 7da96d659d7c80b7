"""Environment parity: what readers see in two environments, compared. Pure.

``read_plan`` is what ``parity-check`` runs against each environment (``--dry-run`` prints it), and
``diff`` turns the two ``Snapshot``s it reads into ordered ``Finding``s. The checked environment (``--env``,
e.g. staging) is compared with the reference (``--against``, e.g. prod):

- ``fail``: a consumer schema or relation missing on either side, a column the reference has and the
  checked environment lacks, a column whose type differs, a reader grant the reference has and the
  checked environment lacks (Snowflake only);
- ``warn`` (``fail`` with ``strict``): a column or grant only the checked environment has (a change
  not promoted yet), row counts apart by more than the threshold, a schema that exists in neither.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from pipelineops.errors import UserError
from pipelineops.plan import sql
from pipelineops.plan.identifiers import check_identifier
from pipelineops.plan.sql import Dialect, Relation
from pipelineops.plan.sql.common import columns_of_schema
from pipelineops.plan.steps import Plan, Step

log = logging.getLogger(__name__)

STAGE = "parity-check"
RUNBOOK = "parity.md"
NO_LOCAL_GRANTS = "not applicable (local engine)"
NO_READER_ROLES = "not compared (no environments.<env>.reader_roles configured)"
Severity = Literal["fail", "warn"]
Kind = Literal[
    "missing-schema",
    "missing-relation",
    "missing-column",
    "extra-column",
    "retyped-column",
    "row-count",
    "missing-grant",
    "extra-grant",
]


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class RelationFacts:
    """One relation of a consumer schema as readers see it: its columns and its row count."""

    schema: str
    name: str
    columns: tuple[Column, ...]
    rows: int

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema.upper(), self.name.upper())

    @property
    def label(self) -> str:
        return f"{self.schema.upper()}.{self.name}"


@dataclass(frozen=True)
class Grant:
    schema: str
    role: str
    privilege: str


@dataclass(frozen=True)
class Snapshot:
    """What one environment publishes. ``grants`` is None when they were not read (local engine, or no
    reader roles configured)."""

    environment: str
    schemas: tuple[str, ...]
    relations: tuple[RelationFacts, ...]
    grants: tuple[Grant, ...] | None = None


@dataclass(frozen=True)
class Finding:
    severity: Severity
    kind: Kind
    subject: str
    detail: str

    @property
    def line(self) -> str:
        return f"{self.severity.upper()} {self.kind} {self.subject}: {self.detail}"


# --- inputs ----------------------------------------------------------------------------------------


def parse_schemas(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """``--schemas MARTS,STAGING`` as validated, upper-cased names (empty or unset: ``default``)."""
    if text is None or not text.strip():
        return default
    names: list[str] = []
    for part in text.split(","):
        name = part.strip()
        if not name:
            raise UserError(
                f"--schemas = {text!r} has an empty name",
                fix="give comma-separated schema names, e.g. --schemas MARTS,STAGING",
            )
        names.append(check_identifier(name, field="--schemas").upper())
    return tuple(dict.fromkeys(names))


def parse_pct(text: str | None, default: float) -> float:
    """``--row-count-pct``: a finite percentage ≥ 0 (empty or unset: ``default``)."""
    if text is None or not text.strip():
        return default
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise UserError(
            f"--row-count-pct = {text!r} is not a percentage",
            fix="give a number of percent, 0 or more, e.g. --row-count-pct 5",
        )
    return value


# --- what is read ----------------------------------------------------------------------------------


def read_plan(
    *,
    environment: str,
    database: str,
    dialect: Dialect,
    schemas: tuple[str, ...],
    reader_roles: tuple[str, ...],
) -> Plan:
    """The read-only queries of one environment. ``relations``, ``columns`` and ``grants`` hold one
    statement per schema, in the order of ``schemas``; each runs only when ``schemas`` found it."""
    if not dialect.has_grants:
        grants = Step("grants", f"grants: {NO_LOCAL_GRANTS}", action="note")
    elif not reader_roles:
        grants = Step("grants", f"grants: {NO_READER_ROLES}", action="note")
    else:
        grants = Step(
            "grants",
            f"privileges of {', '.join(reader_roles)} on each consumer schema found",
            action="check",
            sql=tuple(sql.show_grants_on_schema(database, s, dialect) for s in schemas),
        )
    steps = (
        Step(
            "schemas",
            "which consumer schemas exist",
            action="check",
            sql=(sql.list_schemas(database, dialect),),
        ),
        Step(
            "relations",
            "the relations readers see in each consumer schema found",
            action="check",
            sql=tuple(sql.list_relations(database, s, dialect) for s in schemas),
        ),
        Step(
            "columns",
            "name and type of every column of those relations",
            action="check",
            sql=tuple(columns_of_schema(database, s, dialect) for s in schemas),
        ),
        Step(
            "row-counts",
            "one SELECT COUNT(*) AS n FROM <relation> per relation the listing returns (readers' rows)",
            action="check",
        ),
        grants,
    )
    return Plan(
        stage=STAGE,
        dialect=dialect,
        steps=steps,
        facts=(("environment", environment), ("database", database), ("schemas", ", ".join(schemas))),
    )


def row_count_sql(database: str, schema: str, name: str, dialect: Dialect) -> str:
    return sql.row_count(Relation(database, schema, name), dialect)


def present_schemas(listed: Iterable[str], wanted: tuple[str, ...]) -> tuple[str, ...]:
    """The ``wanted`` schemas (in their order) that the listing names, whatever its case."""
    found = {name.upper() for name in listed}
    return tuple(s for s in wanted if s in found)


def group_columns(rows: Iterable[tuple[str, str, str]]) -> dict[str, tuple[Column, ...]]:
    """(relation, column, type) rows → columns per upper-cased relation name, in row order."""
    out: dict[str, list[Column]] = {}
    for relation, name, kind in rows:
        out.setdefault(relation.upper(), []).append(Column(name, kind))
    return {k: tuple(v) for k, v in out.items()}


def grants_from(
    schema: str, rows: Sequence[Mapping[str, object]], reader_roles: tuple[str, ...]
) -> tuple[Grant, ...]:
    """The reader roles' privileges on ``schema``, from its ``SHOW GRANTS ON SCHEMA`` rows."""
    roles = {r.upper() for r in reader_roles}
    found = {
        Grant(schema.upper(), str(r.get("grantee_name", "")).upper(), str(r.get("privilege", "")).upper())
        for r in rows
        if str(r.get("granted_to", "")).upper() == "ROLE" and str(r.get("grantee_name", "")).upper() in roles
    }
    return tuple(sorted(found, key=lambda g: (g.role, g.privilege)))


# --- the diff --------------------------------------------------------------------------------------


def row_delta_pct(rows: int, reference: int) -> float:
    """How far ``rows`` is from ``reference``, in percent of ``reference`` (inf when that is 0)."""
    if rows == reference:
        return 0.0
    if reference == 0:
        return math.inf
    return abs(rows - reference) * 100.0 / reference


def _columns(checked: RelationFacts, reference: RelationFacts, env: str, ref: str) -> list[Finding]:
    mine = {c.name.upper(): c for c in checked.columns}
    theirs = {c.name.upper(): c for c in reference.columns}
    out: list[Finding] = []
    for key, col in theirs.items():
        subject = f"{reference.label}.{col.name}"
        if key not in mine:
            out.append(Finding("fail", "missing-column", subject, f"missing in {env} ({ref}: {col.type})"))
        elif mine[key].type.strip().upper() != col.type.strip().upper():
            detail = f"{env}: {mine[key].type}, {ref}: {col.type}"
            out.append(Finding("fail", "retyped-column", subject, detail))
    for key, col in mine.items():
        if key not in theirs:
            detail = f"only in {env} ({col.type}); {ref} does not have it"
            out.append(Finding("warn", "extra-column", f"{checked.label}.{col.name}", detail))
    return out


def _rows(checked: RelationFacts, reference: RelationFacts, env: str, ref: str, pct: float) -> list[Finding]:
    delta = row_delta_pct(checked.rows, reference.rows)
    if delta <= pct:
        return []
    change = "new rows" if math.isinf(delta) else f"{delta:.1f}% apart"
    detail = f"{env} {checked.rows} rows, {ref} {reference.rows} rows ({change}; threshold {pct:g}%)"
    return [Finding("warn", "row-count", checked.label, detail)]


def _relations(checked: Snapshot, reference: Snapshot, schema: str, pct: float) -> list[Finding]:
    env, ref = checked.environment, reference.environment
    mine = {r.key: r for r in checked.relations if r.schema.upper() == schema}
    theirs = {r.key: r for r in reference.relations if r.schema.upper() == schema}
    out: list[Finding] = []
    for key in sorted(mine.keys() | theirs.keys()):
        if key not in mine:
            out.append(Finding("fail", "missing-relation", theirs[key].label, f"missing in {env}"))
        elif key not in theirs:
            detail = f"missing in {ref} (only {env} has it)"
            out.append(Finding("fail", "missing-relation", mine[key].label, detail))
        else:
            out += _columns(mine[key], theirs[key], env, ref)
            out += _rows(mine[key], theirs[key], env, ref, pct)
    return out


def _grants(checked: Snapshot, reference: Snapshot, schema: str) -> list[Finding]:
    if checked.grants is None or reference.grants is None:
        return []
    env, ref = checked.environment, reference.environment
    mine = {(g.role, g.privilege) for g in checked.grants if g.schema == schema}
    theirs = {(g.role, g.privilege) for g in reference.grants if g.schema == schema}
    out = [
        Finding("fail", "missing-grant", f"{schema} to {role}", f"{priv} granted in {ref}, not in {env}")
        for role, priv in sorted(theirs - mine)
    ]
    out += [
        Finding("warn", "extra-grant", f"{schema} to {role}", f"{priv} granted in {env}, not in {ref}")
        for role, priv in sorted(mine - theirs)
    ]
    return out


def diff(
    checked: Snapshot,
    reference: Snapshot,
    *,
    schemas: tuple[str, ...],
    row_count_pct: float,
    strict: bool = False,
) -> tuple[Finding, ...]:
    """Drift of ``checked`` against ``reference`` over ``schemas``: failures first, then warnings, each in
    schema, relation and column order. ``strict`` makes every warning a failure."""
    env, ref = checked.environment, reference.environment
    found: list[Finding] = []
    for schema in schemas:
        here, there = schema in checked.schemas, schema in reference.schemas
        if not here and not there:
            found.append(Finding("warn", "missing-schema", schema, f"exists in neither {env} nor {ref}"))
        elif not here or not there:
            absent, present = (env, ref) if not here else (ref, env)
            found.append(Finding("fail", "missing-schema", schema, f"missing in {absent} ({present} has it)"))
        else:
            found += _relations(checked, reference, schema, row_count_pct)
            found += _grants(checked, reference, schema)
    if strict:
        found = [replace(f, severity="fail") for f in found]
    return tuple(sorted(found, key=lambda f: f.severity != "fail"))


def count(findings: Sequence[Finding], severity: Severity) -> int:
    return sum(1 for f in findings if f.severity == severity)
