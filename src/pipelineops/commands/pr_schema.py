"""``pipelineops pr-schema create|drop --pr N``: a pull request's schemas, created or dropped idempotently.

create: ``dbt parse`` with var ``pipelineops_pr`` = N tells which schemas the project builds into
(``CI_PR_<n>`` plus one ``CI_PR_<n>_<CUSTOM>`` per custom schema); each is created if missing.
drop: every schema in the warehouse whose name is exactly one of this PR's is dropped; no dbt needed.
The PR number is validated before anything opens, so hostile input changes nothing (exit 2).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from pipelineops.config import Config
from pipelineops.dbt.artifacts import relation_nodes
from pipelineops.dbt.runner import vars_arg
from pipelineops.engines.base import Engine, iter_names, run_statements
from pipelineops.errors import UserError
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import pr_schema as plan
from pipelineops.plan.identifiers import check_pr_number, pr_schema_base
from pipelineops.plan.sql import list_schemas
from pipelineops.plan.steps import Plan, render_plan
from pipelineops.report.model import Section, StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)
DEFAULT_ENV = "dev"


def pr_environment(config: Config, env_name: str) -> str:
    """Where PR schemas live: ``--env`` when it names another environment, else ``slim_ci.environment``."""
    return env_name if env_name and env_name != DEFAULT_ENV else config.slim_ci_environment


def present_schemas(engine: Engine) -> tuple[str, ...]:
    return tuple(iter_names(engine.query(list_schemas(engine.database, engine.dialect))))


def project_schemas(rt: Runtime, pr: int) -> tuple[str, ...]:
    """The PR's schemas as the project defines them (a real ``dbt parse`` with ``pipelineops_pr``)."""
    manifest = rt.parse(f"pr-{pr}-parse", vars_arg({"pipelineops_pr": pr}))
    nodes = [plan.NodeSchema(n.unique_id, n.schema) for n in relation_nodes(manifest)]
    return plan.project_schemas(pr, nodes)


def execute(rt: Runtime, p: Plan) -> list[tuple[str, str, float]]:
    done = []
    for step in p.steps:
        start = time.monotonic()
        run_statements(rt.engine, step.sql, transactional=False)
        done.append((step.name, step.why, time.monotonic() - start))
    return done


def _action(positional: str | None, option: str | None) -> str:
    if positional and option and positional != option:
        raise UserError(
            f"pr-schema got two actions: {positional} and --action {option}",
            fix="give one: `pipelineops pr-schema create --pr N` or `pipelineops pr-schema --action create --pr N`",
        )
    chosen = positional or option or ""
    if chosen not in ("create", "drop"):
        raise UserError(
            "pr-schema needs an action: create or drop",
            fix="`pipelineops pr-schema create --pr N` (or --action create)",
        )
    return chosen


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    pr: str,
    action: str | None = None,
    action_option: str | None = None,
) -> StageReport:
    started = time.monotonic()
    number = check_pr_number(pr)
    action = _action(action, action_option)
    rt = Runtime.open(
        config=config,
        env_name=pr_environment(config, env_name),
        dry_run=dry_run,
        reporter=reporter,
        environ=environ,
        stage="pr-schema",
    )
    try:
        if action == "create":
            wanted = project_schemas(rt, number)
            p = plan.create_plan(
                number,
                wanted,
                present=present_schemas(rt.engine),
                database=rt.engine.database,
                dialect=rt.engine.dialect,
            )
        else:
            p = plan.drop_plan(
                number, present_schemas(rt.engine), database=rt.engine.database, dialect=rt.engine.dialect
            )
        done = [] if dry_run else execute(rt, p)
    finally:
        rt.close()
    return _report(number, action, p, done, dry_run=dry_run, env=rt.ctx.env_name, started=started)


def _report(
    pr: int,
    action: str,
    p: Plan,
    done: list[tuple[str, str, float]],
    *,
    dry_run: bool,
    env: str,
    started: float,
) -> StageReport:
    schemas = [s.name.split(" ", 1)[1] for s in p.steps]
    verb = "created" if action == "create" else "dropped"
    if dry_run:
        title = f"Dry run: would {action} {len(schemas)} schema(s) of PR #{pr} (nothing changed)"
        conclusion = "skipped"
    elif not schemas:
        title = f"PR #{pr} has no schema to drop (nothing changed)"
        conclusion = "success"
    else:
        title = f"PR #{pr}: {len(schemas)} schema(s) {verb}"
        conclusion = "success"
    sections = [Section("Plan", text=render_plan(p), collapsed=True)]
    if done:
        sections.insert(
            0, Section("Schemas", ("step", "why", "seconds"), tuple((n, w, f"{e:.2f}") for n, w, e in done))
        )
    return StageReport(
        stage="pr-schema",
        conclusion="skipped" if conclusion == "skipped" else "success",
        title=title,
        facts=(("environment", env), *p.facts),
        sections=tuple(sections),
        outputs=(("schema", pr_schema_base(pr)), ("schemas", ",".join(schemas))),
        duration_s=time.monotonic() - started,
        data={"pr": pr, "action": action, "schemas": schemas, "sql": [s for st in p.steps for s in st.sql]},
    )
