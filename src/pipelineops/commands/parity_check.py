"""``pipelineops parity-check``: compare what readers see in two environments (e.g. staging vs prod).

Each environment is read on its own, one after the other: open its engine, run the read plan of
``plan/parity_check.py`` (consumer schemas, their relations and columns, one row count per relation, reader
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

from pipelineops.commands.parity_check_report import dry_run_report, report, where
from pipelineops.config import Config, EnvironmentConfig
from pipelineops.engines.base import Engine, first_value, iter_names
from pipelineops.engines.factory import warehouse
from pipelineops.engines.snowflake_auth import (
    ENV_PASSPHRASE,
    ENV_PRIVATE_KEY,
    ENV_PRIVATE_KEY_PATH,
    SECRET_ENV_VARS,
)
from pipelineops.errors import UserError
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import parity_check
from pipelineops.plan.sql import Dialect, dialect_for
from pipelineops.plan.steps import Plan
from pipelineops.report.model import StageReport
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
    return dialect_for(env.engine)


def require_warehouse(env: EnvironmentConfig) -> None:
    """A local environment must have its warehouse already: a parity check never creates one."""
    catalog = warehouse(env).local_catalog
    if catalog is not None and not catalog.exists():
        raise UserError(
            f"environment {env.name} has no local warehouse at {env.local_dir}: it was never deployed",
            why="parity-check reads the consumer views an environment publishes; it creates nothing",
            fix=f"deploy it first: pipelineops bluegreen-swap --env {env.name} (or check "
            f"environments.{env.name}.local_dir)",
            runbook=parity_check.RUNBOOK,
        )


def snapshot(
    engine: Engine, plan: Plan, *, wanted: tuple[str, ...], env_name: str, reader_roles: tuple[str, ...]
) -> parity_check.Snapshot:
    """Run ``plan`` (made for ``wanted``) and one row count per relation it lists, on one engine."""
    present = parity_check.present_schemas(iter_names(engine.query(plan.step("schemas").sql[0])), wanted)
    if not present:
        raise UserError(
            f"environment {env_name} has none of the consumer schemas {', '.join(wanted)}: "
            "it was never deployed",
            why="or --schemas / layout.consumer_schemas names schemas this environment does not publish",
            fix=f"deploy it first: pipelineops bluegreen-swap --env {env_name}; or correct --schemas",
            runbook=parity_check.RUNBOOK,
        )
    db, dialect = engine.database, engine.dialect
    relations: list[parity_check.RelationFacts] = []
    listings = zip(wanted, plan.step("relations").sql, plan.step("columns").sql, strict=True)
    for schema, list_sql, columns_sql in listings:
        if schema not in present:
            continue
        columns = parity_check.group_columns(
            (str(r["relation"]), str(r["name"]), str(r["type"])) for r in engine.query(columns_sql)
        )
        for name in iter_names(engine.query(list_sql)):
            n = first_value(engine.query(parity_check.row_count_sql(db, schema, name, dialect)))
            relations.append(
                parity_check.RelationFacts(schema, name, columns.get(name.upper(), ()), int(str(n)))
            )
    grants: tuple[parity_check.Grant, ...] | None = None
    grant_sql = plan.step("grants").sql
    if grant_sql:
        grants = tuple(
            g
            for schema, stmt in zip(wanted, grant_sql, strict=True)
            if schema in present
            for g in parity_check.grants_from(schema, engine.query(stmt), reader_roles)
        )
    return parity_check.Snapshot(env_name, present, tuple(relations), grants)


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
    wanted = parity_check.parse_schemas(schemas, config.consumer_schemas)
    pct = parity_check.parse_pct(row_count_pct, config.checks.row_count_warn_pct)
    for env in envs:
        require_warehouse(env)
    plans = tuple(
        parity_check.read_plan(
            environment=env.name,
            database=env.database,
            dialect=_dialect(env),
            schemas=wanted,
            reader_roles=env.reader_roles,
        )
        for env in envs
    )
    if dry_run:
        return dry_run_report(envs, plans, wanted, pct, strict, started)
    snaps: list[parity_check.Snapshot] = []
    for env, plan in zip(envs, plans, strict=True):
        rt = Runtime.open(
            config=config,
            env_name=env.name,
            dry_run=False,
            reporter=reporter,
            environ=scoped_environ(env.name, environ),
            stage=parity_check.STAGE,
        )
        try:
            reporter.debug(f"reading {env.name} ({where(env)})")
            snaps.append(
                snapshot(rt.engine, plan, wanted=wanted, env_name=env.name, reader_roles=env.reader_roles)
            )
        finally:
            rt.close()
    checked, reference = snaps
    findings = parity_check.diff(checked, reference, schemas=wanted, row_count_pct=pct, strict=strict)
    return report(envs, plans, checked, reference, findings, wanted, pct, strict, started)
