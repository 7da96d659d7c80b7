"""``pipelineops schema-cleanup``: drop a closed PR's schemas (``--pr N``) or sweep stale ones (``--sweep``).

The warehouse is listed (``SHOW SCHEMAS LIKE 'CI_PR_%'`` on Snowflake, DuckLake's catalog metadata on the
local engine — both give each schema's creation time, so no bookkeeping table is needed and schemas that
dbt created on its own are aged too). The pure decision is ``plan/schema_cleanup.py``: only names that are
exactly ``CI_PR_<n>[_<CUSTOM>]`` are ever candidates. ``--sweep`` asks GitHub for the state of each PR.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from pipelineops.commands.pr_schema import execute, pr_environment, present_schemas
from pipelineops.config import Config
from pipelineops.engines.base import Engine
from pipelineops.errors import UserError
from pipelineops.execute.runtime import Runtime
from pipelineops.github.client import DEFAULT_API_URL, make_client
from pipelineops.github.pulls import pull_states
from pipelineops.plan import schema_cleanup as plan
from pipelineops.plan.identifiers import check_pr_number
from pipelineops.plan.pr_schema import LIKE_PATTERN
from pipelineops.plan.sql.common import list_schemas_created
from pipelineops.plan.steps import Plan, render_plan
from pipelineops.report.model import Annotation, Section, StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)


def _as_datetime(value: object) -> datetime | None:
    """A creation time as an aware datetime (naive values are UTC), or None when absent or unreadable."""
    parsed: datetime | None = None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def schema_facts(engine: Engine) -> tuple[plan.SchemaFact, ...]:
    """Every schema named like ``CI_PR_%`` with its creation time (listing via ``list_schemas`` too)."""
    ages = {
        str(row.get("name")): _as_datetime(row.get("created_on"))
        for row in engine.query(list_schemas_created(engine.database, LIKE_PATTERN, engine.dialect))
    }
    names = {n for n in present_schemas(engine) if n.upper().startswith("CI_PR")} | set(ages)
    return tuple(plan.SchemaFact(n, ages.get(n)) for n in sorted(names))


def github_states(
    numbers: tuple[int, ...], environ: Mapping[str, str], reporter: Reporter
) -> tuple[dict[int, plan.PullState], str]:
    token, repo = environ.get("GITHUB_TOKEN", ""), environ.get("GITHUB_REPOSITORY", "")
    if not numbers:
        return {}, "not asked (no PR schema)"
    if not (token and repo):
        reporter.warning(
            "PR states not checked: GITHUB_TOKEN and GITHUB_REPOSITORY are needed; only the age rule applies",
            title="pipelineops schema-cleanup",
        )
        return {}, "not asked (no GITHUB_TOKEN/GITHUB_REPOSITORY): age rule only"
    gh = make_client(token=token, api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL)
    states: dict[int, plan.PullState] = dict(pull_states(gh, repo, numbers))
    return states, f"asked {repo} about {len(numbers)} PR(s)"


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    pr: str | None = None,
    sweep: bool = False,
) -> StageReport:
    started = time.monotonic()
    number = check_pr_number(pr) if pr is not None else None
    if number is None and not sweep:
        raise UserError("schema-cleanup needs --pr N or --sweep", fix="schema-cleanup --pr 123, or --sweep")
    rt = Runtime.open(
        config=config,
        env_name=pr_environment(config, env_name),
        dry_run=dry_run,
        reporter=reporter,
        environ=environ,
        stage="schema-cleanup",
    )
    github = "not asked (--pr)"
    try:
        facts = schema_facts(rt.engine)
        if number is not None:
            decisions = plan.pr_decisions(number, facts)
            mode = f"--pr {number}"
        else:
            states, github = github_states(plan.pr_numbers(facts), environ, reporter)
            decisions = plan.sweep_decisions(
                facts, states, now=rt.ctx.clock(), max_age_hours=config.cleanup_max_age_hours
            )
            mode = "--sweep"
        p = plan.cleanup_plan(decisions, database=rt.engine.database, dialect=rt.engine.dialect, mode=mode)
        done = [] if dry_run else execute(rt, p)
    finally:
        rt.close()
    return _report(
        p, decisions, plan.ignored(facts), github, dry_run=dry_run, done=len(done), started=started
    )


def _report(
    p: Plan,
    decisions: tuple[plan.Decision, ...],
    ignored: tuple[str, ...],
    github: str,
    *,
    dry_run: bool,
    done: int,
    started: float,
) -> StageReport:
    drops = [d for d in decisions if d.verdict == "drop"]
    if dry_run:
        title = f"Dry run: would drop {len(drops)} PR schema(s) (nothing changed)"
    elif drops:
        title = f"Dropped {done} PR schema(s)"
    else:
        title = "No PR schema to drop (nothing changed)"
    rows = tuple(
        (
            d.schema,
            str(d.pr),
            d.pr_state,
            "" if d.age_hours is None else f"{d.age_hours:.1f}",
            d.verdict,
            d.reason,
        )
        for d in decisions
    )
    sections = [Section("PR schemas", ("schema", "PR", "PR state", "age (h)", "verdict", "why"), rows)]
    if ignored:
        sections.append(Section("Ignored (not a PR schema name)", text="\n".join(ignored)))
    sections.append(Section("Plan", text=render_plan(p), collapsed=True))
    return StageReport(
        stage="schema-cleanup",
        conclusion="skipped" if dry_run else "success",
        title=title,
        facts=(*p.facts, ("GitHub", github)),
        sections=tuple(sections),
        annotations=tuple(
            Annotation("notice", f"ignored schema {name}: not CI_PR_<n>[_<CUSTOM>]") for name in ignored
        ),
        outputs=(
            ("dropped-count", str(0 if dry_run else done)),
            ("dropped", ",".join(d.schema for d in drops) if not dry_run else ""),
            ("would-drop", ",".join(d.schema for d in drops)),
        ),
        duration_s=time.monotonic() - started,
        data={
            "decisions": [d.__dict__ for d in decisions],
            "ignored": list(ignored),
            "sql": [s for st in p.steps for s in st.sql],
        },
    )
