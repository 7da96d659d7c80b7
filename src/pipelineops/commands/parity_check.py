"""``pipelineops parity-check``: compare what readers see in two environments (e.g. staging vs prod).

Each environment is read on its own, one after the other: open its engine, run the read plan of
``plan/parity.py`` (consumer schemas, their relations and columns, one row count per relation, reader
grants on Snowflake), close it. Reading in turn works whatever the layout: two environments may share one
local warehouse folder, and a DuckLake catalog can be attached by one DuckDB instance at a time. Nothing is
written, and a local warehouse that does not exist is refused instead of being created.

Secrets per environment: ``SNOWFLAKE_PRIVATE_KEY_<ENV>`` (and ``_PATH``, ``_PASSPHRASE``,
``SNOWFLAKE_OIDC_TOKEN_<ENV>``) override the unscoped variables for that environment, so one job can read
two environments that use different service users.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import asdict

from pipelineops.commands.runtime import Runtime
from pipelineops.config import Config, EnvironmentConfig
from pipelineops.engines.base import Engine, first_value, iter_names
from pipelineops.engines.duckdb import local_paths
from pipelineops.engines.snowflake_auth import (
    ENV_PASSPHRASE,
    ENV_PRIVATE_KEY,
    ENV_PRIVATE_KEY_PATH,
    SECRET_ENV_VARS,
)
from pipelineops.errors import UserError
from pipelineops.plan import parity
from pipelineops.plan.sql import Dialect
from pipelineops.plan.steps import Plan, render_plan
from pipelineops.report.model import Annotation, Conclusion, Section, StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)
KEY_PAIR = (ENV_PRIVATE_KEY, ENV_PRIVATE_KEY_PATH, ENV_PASSPHRASE)


def scoped_environ(env_name: str, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` for one environment: ``<SECRET>_<ENV>`` variables replace the unscoped ones.

    A scoped key (or key path) replaces the whole unscoped key pair, passphrase included, so a shared
    passphrase never meets another environment's key.
    """
    suffix = "_" + env_name.upper()
    scoped = {v: environ[v + suffix] for v in SECRET_ENV_VARS if environ.get(v + suffix, "").strip()}
    out = dict(environ)
    if scoped.keys() & {ENV_PRIVATE_KEY, ENV_PRIVATE_KEY_PATH}:
        for var in KEY_PAIR:
            out.pop(var, None)
    out.update(scoped)
    return out


def _dialect(env: EnvironmentConfig) -> Dialect:
    return env.engine


def _where(env: EnvironmentConfig) -> str:
    if env.engine == "duckdb":
        return f"local warehouse {env.local_dir}"
    assert env.snowflake is not None
    return f"Snowflake {env.snowflake.account}, database {env.database}"


def require_warehouse(env: EnvironmentConfig) -> None:
    """A local environment must have its warehouse already: a parity check never creates one."""
    if env.engine != "duckdb":
        return
    assert env.local_dir is not None
    catalog, _, _ = local_paths(env.local_dir)
    if not catalog.exists():
        raise UserError(
            f"environment {env.name} has no local warehouse at {env.local_dir}: it was never deployed",
            why="parity-check reads the consumer views an environment publishes; it creates nothing",
            fix=f"deploy it first: pipelineops bluegreen-swap --env {env.name} (or check "
            f"environments.{env.name}.local_dir)",
            runbook=parity.RUNBOOK,
        )


def snapshot(
    engine: Engine, plan: Plan, *, wanted: tuple[str, ...], env_name: str, reader_roles: tuple[str, ...]
) -> parity.Snapshot:
    """Run ``plan`` (made for ``wanted``) and one row count per relation it lists, on one engine."""
    present = parity.present_schemas(iter_names(engine.query(plan.step("schemas").sql[0])), wanted)
    if not present:
        raise UserError(
            f"environment {env_name} has none of the consumer schemas {', '.join(wanted)}: "
            "it was never deployed",
            why="or --schemas / layout.consumer_schemas names schemas this environment does not publish",
            fix=f"deploy it first: pipelineops bluegreen-swap --env {env_name}; or correct --schemas",
            runbook=parity.RUNBOOK,
        )
    db, dialect = engine.database, engine.dialect
    relations: list[parity.RelationFacts] = []
    listings = zip(wanted, plan.step("relations").sql, plan.step("columns").sql, strict=True)
    for schema, list_sql, columns_sql in listings:
        if schema not in present:
            continue
        columns = parity.group_columns(
            (str(r["relation"]), str(r["name"]), str(r["type"])) for r in engine.query(columns_sql)
        )
        for name in iter_names(engine.query(list_sql)):
            n = first_value(engine.query(parity.row_count_sql(db, schema, name, dialect)))
            relations.append(parity.RelationFacts(schema, name, columns.get(name.upper(), ()), int(str(n))))
    grants: tuple[parity.Grant, ...] | None = None
    grant_sql = plan.step("grants").sql
    if grant_sql:
        grants = tuple(
            g
            for schema, stmt in zip(wanted, grant_sql, strict=True)
            if schema in present
            for g in parity.grants_from(schema, engine.query(stmt), reader_roles)
        )
    return parity.Snapshot(env_name, present, tuple(relations), grants)


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    against: str = "prod",
    schemas: str | None = None,
    row_count_pct: str | None = None,
    strict: bool = False,
) -> StageReport:
    started = time.monotonic()
    if env_name == against:
        raise UserError(
            f"--env and --against are both {env_name}: a parity check compares two environments",
            fix="e.g. pipelineops parity-check --env staging --against prod",
        )
    envs = (config.environment(env_name), config.environment(against))
    wanted = parity.parse_schemas(schemas, config.consumer_schemas)
    pct = parity.parse_pct(row_count_pct, config.checks.row_count_warn_pct)
    for env in envs:
        require_warehouse(env)
    plans = tuple(
        parity.read_plan(
            environment=env.name,
            database=env.database,
            dialect=_dialect(env),
            schemas=wanted,
            reader_roles=config.reader_roles,
        )
        for env in envs
    )
    if dry_run:
        return _dry_run_report(envs, plans, wanted, pct, strict, started)
    snaps: list[parity.Snapshot] = []
    for env, plan in zip(envs, plans, strict=True):
        rt = Runtime.open(
            config=config,
            env_name=env.name,
            dry_run=False,
            reporter=reporter,
            environ=scoped_environ(env.name, environ),
            stage=parity.STAGE,
        )
        try:
            reporter.debug(f"reading {env.name} ({_where(env)})")
            snaps.append(
                snapshot(rt.engine, plan, wanted=wanted, env_name=env.name, reader_roles=config.reader_roles)
            )
        finally:
            rt.close()
    checked, reference = snaps
    findings = parity.diff(checked, reference, schemas=wanted, row_count_pct=pct, strict=strict)
    return _report(envs, plans, checked, reference, findings, wanted, pct, strict, started)


def _settings(
    wanted: tuple[str, ...], pct: float, strict: bool, plans: tuple[Plan, ...]
) -> list[tuple[str, str]]:
    grants = [p.step("grants") for p in plans]
    if all(g.sql for g in grants):
        grant_text = "compared: SHOW GRANTS ON SCHEMA for the reader roles"
    else:
        grant_text = next(g.why for g in grants if not g.sql).removeprefix("grants: ")
    return [
        ("schemas", ", ".join(wanted)),
        ("row-count threshold", f"{pct:g}%" + (" (strict: every warning fails)" if strict else "")),
        ("grants", grant_text),
    ]


def _dry_run_report(
    envs: tuple[EnvironmentConfig, ...],
    plans: tuple[Plan, ...],
    wanted: tuple[str, ...],
    pct: float,
    strict: bool,
    started: float,
) -> StageReport:
    facts = [
        (
            env.name,
            _where(env) + (" (exists)" if env.engine == "duckdb" else " (not connected in a dry run)"),
        )
        for env in envs
    ]
    return StageReport(
        stage=parity.STAGE,
        conclusion="skipped",
        title=f"Dry run: would compare {envs[0].name} with {envs[1].name} (nothing read)",
        facts=(*facts, *_settings(wanted, pct, strict, plans)),
        sections=tuple(
            Section(f"Queries on {env.name}", text=render_plan(p)) for env, p in zip(envs, plans, strict=True)
        ),
        outputs=(("finding-count", "0"), ("fail-count", "0"), ("warn-count", "0")),
        duration_s=time.monotonic() - started,
        data={
            "environment": envs[0].name,
            "against": envs[1].name,
            "schemas": list(wanted),
            "sql": {
                env.name: [s for st in p.steps for s in st.sql] for env, p in zip(envs, plans, strict=True)
            },
        },
    )


def _relation_rows(checked: parity.Snapshot, reference: parity.Snapshot) -> tuple[tuple[str, ...], ...]:
    mine = {r.key: r for r in checked.relations}
    theirs = {r.key: r for r in reference.relations}
    rows = []
    for key in sorted(mine.keys() | theirs.keys()):
        a, b = mine.get(key), theirs.get(key)
        either = a or b
        assert either is not None
        rows.append(
            (
                either.label,
                str(a.rows) if a else "-",
                str(b.rows) if b else "-",
                str(len(a.columns)) if a else "-",
                str(len(b.columns)) if b else "-",
            )
        )
    return tuple(rows)


def _report(
    envs: tuple[EnvironmentConfig, ...],
    plans: tuple[Plan, ...],
    checked: parity.Snapshot,
    reference: parity.Snapshot,
    findings: tuple[parity.Finding, ...],
    wanted: tuple[str, ...],
    pct: float,
    strict: bool,
    started: float,
) -> StageReport:
    fails, warns = parity.count(findings, "fail"), parity.count(findings, "warn")
    env, ref = checked.environment, reference.environment
    conclusion: Conclusion = "failure" if fails else ("neutral" if warns else "success")
    if fails:
        title = f"{env} differs from {ref}: {fails} failing and {warns} warning finding(s)"
    elif warns:
        title = f"{env} matches {ref} in shape, with {warns} warning(s)"
    else:
        title = f"{env} matches {ref}: {len(reference.relations)} relations in {', '.join(wanted)}"
    facts = [
        (s.environment, f"{_where(e)}: {len(s.relations)} relations in {len(s.schemas)} schema(s)")
        for s, e in zip((checked, reference), envs, strict=True)
    ]
    sections = [
        Section(
            "Findings",
            ("severity", "kind", "subject", "detail"),
            tuple((f.severity, f.kind, f.subject, f.detail) for f in findings),
        )
        if findings
        else Section("Findings", text=f"No drift between {env} and {ref}."),
        Section(
            "Relations",
            ("relation", f"{env} rows", f"{ref} rows", f"{env} cols", f"{ref} cols"),
            _relation_rows(checked, reference),
            collapsed=True,
        ),
    ]
    if fails:
        sections.append(
            Section("What to do", text=f"See runbooks/{parity.RUNBOOK} for each kind of finding.")
        )
    return StageReport(
        stage=parity.STAGE,
        conclusion=conclusion,
        title=title,
        facts=(*facts, *_settings(wanted, pct, strict, plans)),
        sections=tuple(sections),
        annotations=tuple(
            Annotation("error" if f.severity == "fail" else "warning", f.line, title=f"parity {env} vs {ref}")
            for f in findings
        ),
        outputs=(
            ("finding-count", str(len(findings))),
            ("fail-count", str(fails)),
            ("warn-count", str(warns)),
        ),
        duration_s=time.monotonic() - started,
        data={
            "environment": env,
            "against": ref,
            "schemas": list(wanted),
            "row_count_pct": pct,
            "strict": strict,
            "findings": [asdict(f) for f in findings],
            "snapshots": {s.environment: asdict(s) for s in (checked, reference)},
        },
    )
