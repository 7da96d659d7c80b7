"""The outcomes people see on GitHub, built from hand-written journals and dbt results: one StageReport
per case, rendered to golden Markdown in ``tests/fixtures/markdown/`` (and to pictures by
``make screenshots``). Hostile text from dbt, the warehouse and the PR is planted on purpose."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pipelineops.commands.deploy_report import deploy_report
from pipelineops.commands.rollback import rollback_report
from pipelineops.commands.slim_ci_report import build_report
from pipelineops.execute.deploy import DeployResult
from pipelineops.execute.impact import Narrowing
from pipelineops.execute.republish import RollbackResult
from pipelineops.plan import gates, history, impact
from pipelineops.plan import slim_ci as plan
from pipelineops.plan.history import LockHolder
from pipelineops.plan.manifest_facts import ManifestFacts, NodeFacts
from pipelineops.plan.sql import DUCKDB
from pipelineops.report.error_report import error_report
from pipelineops.report.model import StageReport
from pipelineops.report.status import status_report

NOW = datetime(2026, 12, 6, 4, 30, tzinfo=UTC)
SERVER = "https://github.com"
REPO = "acme/dw"
GHA = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": SERVER,
    "GITHUB_REPOSITORY": REPO,
    "GITHUB_RUN_ID": "9102",
}
SHA = {"d-1": "1111111111aa", "d-2": "2222222222bb", "d-3": "3333333333cc", "r-1": "", "d-4": "4444444444dd"}
#: hostile text as dbt prints it: a lambda repr, an undefined Jinja value, a dunder, a quote, a link, a tag
HOSTILE = (
    "Compilation Error in model <lambda> (models/marts/orders.sql)\n"
    "  'dict object' has no attribute 'amount' (<Undefined>) in __init__\n"
    "> see [docs](http://evil.example) ``` </details>"
)


def run_url(op: str) -> str:
    """Deploy d-N ran as run 900N, rollback r-N as run 910N."""
    return f"{SERVER}/{REPO}/actions/runs/{9000 + int(op[-1]) + (100 if op.startswith('r') else 0)}"


def row(
    op: str, step: str, status: str, at: int, *, kind: str = "deploy", to: str = "", **extra: object
) -> dict[str, object]:
    return {
        "deploy_id": op,
        "environment": "prod",
        "kind": kind,
        "step": step,
        "status": status,
        "git_sha": SHA[op],
        "actor": "octo-cat",
        "run_url": run_url(op),
        "colour_to": to,
        "started_at": NOW - timedelta(hours=at),
        "finished_at": NOW - timedelta(hours=at),
        **extra,
    }


def deployed(op: str, colour: str, at: int) -> list[dict[str, object]]:
    return [
        row(op, "build", "started", at + 1, to=colour),
        row(op, "build", "succeeded", at + 1, to=colour),
        row(op, "cutover", "succeeded", at, to=colour),
        row(op, "finish", "succeeded", at, to=colour),
    ]


BASE = [*deployed("d-1", "BLUE", 30), *deployed("d-2", "GREEN", 5)]
BLOCKED = [
    row("d-3", "build", "started", 2, to="BLUE"),
    row("d-3", "build", "failed", 2, to="BLUE"),
    row("d-3", "finish", "failed", 2, to="BLUE", error="pre-cutover gate failed"),
]
ROLLED_BACK = [
    row("r-1", "cutover", "succeeded", 1, kind="rollback", to="BLUE", detail=history.back_to("d-1")),
    row("r-1", "finish", "succeeded", 1, kind="rollback", to="BLUE"),
]

WARNS = tuple(
    gates.GateResult("dbt", f"test.shop.planted_defect_{i}.a1b2c3", "warn", f"{i + 1} rows warned")
    for i in range(11)
)
PASSES = tuple(
    gates.GateResult("row-count", f"model.shop.m{i}", "pass", f"100 → 10{i} rows") for i in range(45)
)


def deploy_success() -> StageReport:
    result = DeployResult(
        "bluegreen-swap",
        "prod",
        "d-2",
        SHA["d-2"],
        "BLUE",
        "GREEN",
        "success",
        "Deployed GREEN to prod (deploy d-2): cutover in 41 ms",
        steps=(("build", "succeeded", 62.3), ("checks", "succeeded", 3.1), ("cutover", "succeeded", 0.04)),
        gate_results=(*WARNS, *PASSES),
        cutover_ms=41,
    )
    return deploy_report(result, 71.5, rows=BASE, environ=GHA)


def deploy_blocked_gate() -> StageReport:
    fail = gates.GateResult(
        "dbt",
        "test.shop.not_null_orders_id.9f8e7d",
        "fail",
        "Got 12 results, configured to fail if != 0 <Undefined>",
    )
    result = DeployResult(
        "bluegreen-swap",
        "prod",
        "d-3",
        SHA["d-3"],
        "GREEN",
        "BLUE",
        "failure",
        "Deploy stopped by a failing gate: nothing published, GREEN stays live",
        steps=(("build", "failed", 60.0), ("checks", "failed", 2.9)),
        gate_results=(*WARNS, fail, *PASSES[:3]),
    )
    manifest = {
        "nodes": {
            fail.subject: {
                "resource_type": "test",
                "name": "not_null_orders_id",
                "original_file_path": "models/marts/_marts.yml",
                "depends_on": {"nodes": ["model.shop.orders"]},
            }
        }
    }
    return deploy_report(
        result, 64.2, rows=[*BASE, *BLOCKED], environ=GHA, manifest=manifest, project_prefix="dbt"
    )


def lock_held() -> StageReport:
    return error_report(
        "bluegreen-swap",
        what="the prod deploy lock is held by deploy d-4 (octo-cat, since 2026-12-06 03:10:00+00:00)",
        why="another deploy or rollback is running, or one died without releasing the lock",
        fix="wait for it (see `pipelineops status`); if that run is dead, re-run this command with --force-unlock "
        f"(recorded in DEPLOY_STATE); its run: {run_url('d-4')}",
        runbook="runbooks/deploy-lock.md",
        production="production is unchanged: deploy d-2 (GREEN, git 2222222222bb) still serves prod",
        on_github=True,
    )


def _pub(rows: list[dict[str, object]], op: str) -> history.Publication:
    return next(p for p in history.publications(rows) if p.deploy_id == op)


def rollback_done() -> StageReport:
    rows = [*BASE, *ROLLED_BACK]
    result = RollbackResult(
        "prod",
        "r-1",
        _pub(BASE, "d-2"),
        _pub(BASE, "d-1"),
        "success",
        "Rolled back prod to BLUE (deploy d-1) in 38 ms",
        cutover_ms=38,
    )
    return rollback_report(
        result,
        "orders mart double-counts refunds",
        4.1,
        rows=rows,
        actor="octo-cat",
        environ=GHA,
        run_url=run_url("r-1"),
    )


def rollback_refused() -> StageReport:
    return error_report(
        "rollback",
        what="cannot re-publish deploy d-1: its colour BLUE was rebuilt since by deploy d-3",
        why="re-publishing would serve that later build, not the data of the deploy you asked for",
        fix="restore the affected tables with time travel instead, e.g.\n"
        '  pipelineops rollback --env prod --mode time-travel --model <model> --to d-1 --reason "..."',
        runbook="runbooks/rollback.md",
        production="production is unchanged: deploy d-2 (GREEN, git 2222222222bb) still serves prod",
        on_github=True,
    )


def status_lock_held() -> StageReport:
    blocked = [{**r, "colour_to": "GREEN"} for r in BLOCKED]
    for r in blocked:
        r["started_at"] = r["finished_at"] = NOW - timedelta(minutes=30)
    rows = [*BASE, *ROLLED_BACK, *blocked]
    holder = LockHolder("d-4", "octo-cat", run_url("d-4"), NOW - timedelta(minutes=80))
    return status_report("prod", rows, holder, now=NOW, environ=GHA)


def _node(uid: str, kind: str, path: str, parents: tuple[str, ...] = ()) -> NodeFacts:
    return NodeFacts(uid, kind, uid.split(".")[2], path, "", "", "", "view", (), (), parents, (), "")


NODES = {
    "model.shop.stg_orders": _node("model.shop.stg_orders", "model", "models/staging/stg_orders.sql"),
    "model.shop.orders": _node(
        "model.shop.orders", "model", "models/marts/orders.sql", ("model.shop.stg_orders",)
    ),
    "test.shop.not_null_orders_id.9f8e7d": _node(
        "test.shop.not_null_orders_id.9f8e7d", "test", "models/marts/_marts.yml", ("model.shop.orders",)
    ),
    **{
        f"test.shop.t{i}.{i}": _node(
            f"test.shop.t{i}.{i}", "test", "models/marts/_marts.yml", ("model.shop.orders",)
        )
        for i in range(7)
    },
}
EXPLAINED = (
    plan.Explained(
        "model.shop.stg_orders",
        "stg_orders",
        "model",
        "models/staging/stg_orders.sql",
        "modified",
        ("SQL changed",),
    ),
    plan.Explained(
        "model.shop.orders", "orders", "model", "models/marts/orders.sql", "downstream", ("reads stg_orders",)
    ),
    plan.Explained(
        "test.shop.not_null_orders_id.9f8e7d",
        "not_null_orders_id",
        "test",
        "",
        "downstream",
        ("tests orders",),
    ),
    *(
        plan.Explained(f"test.shop.t{i}.{i}", f"t{i}", "test", "", "downstream", ("tests orders",))
        for i in range(7)
    ),
)
STATE = "/home/runner/work/_temp/pipelineops-state-x1"


def _slim(outcomes: list[plan.Outcome], *, ok: bool) -> StageReport:
    p = plan.build_plan(
        plan.SlimInputs(
            pr=7,
            schema="PR_7",
            dialect=DUCKDB,
            state_dir=STATE,
            state_source="prod deploy d-1 (BLUE)",
            vars_json="",
            favor_state=True,
            clone=(),
            selected=len(EXPLAINED),
            comment="upsert the sticky PR comment",
            facts=(("environment", "dev"), ("defers to", "prod")),
        )
    )
    return build_report(
        pr=7,
        plan_=p,
        explained=EXPLAINED,
        spots=(),
        tally=plan.tally(len(EXPLAINED), outcomes),
        pr_facts=ManifestFacts(NODES, {}),
        dry_run=False,
        build_ok=ok,
        notes=[],
        duration=48.0,
        run_url=run_url("d-7"),
        outcomes=outcomes,
        project_prefix="dbt",
        source_url=f"{SERVER}/{REPO}/blob/{'ab' * 20}",
    )


def slim_success() -> StageReport:
    return _slim(
        [plan.Outcome(e.unique_id, "success" if e.resource_type == "model" else "pass") for e in EXPLAINED],
        ok=True,
    )


def slim_failed_test() -> StageReport:
    outcomes = [
        plan.Outcome(e.unique_id, "success" if e.resource_type == "model" else "pass") for e in EXPLAINED
    ]
    outcomes[2] = plan.Outcome(
        EXPLAINED[2].unique_id, "fail", "Got 12 results, configured to fail if != 0", 12
    )
    return _slim(outcomes, ok=False)


def slim_sql_error() -> StageReport:
    outcomes = [
        plan.Outcome("model.shop.stg_orders", "success"),
        plan.Outcome("model.shop.orders", "error", HOSTILE),
    ]
    outcomes += [plan.Outcome(e.unique_id, "skipped") for e in EXPLAINED[2:]]
    outcomes += [plan.Outcome("model.shop.orders", "error", HOSTILE)]  # dbt may report a node twice
    return _slim(outcomes, ok=False)


def slim_column_impact() -> StageReport:
    """A column nobody reads: the staging model and its test build, the mart is deferred to production."""
    decisions = (
        impact.Decision(
            "model.shop.stg_orders",
            "stg_orders",
            "model",
            True,
            "built: modified — added `channel`",
            ("channel",),
        ),
        impact.Decision(
            "model.shop.orders",
            "orders",
            "model",
            False,
            "skipped: reads none of the changed columns (`channel`)",
        ),
        *(
            impact.Decision(e.unique_id, e.name, "test", False, "skipped: tests only nodes that are skipped")
            for e in EXPLAINED[2:]
        ),
    )
    narrowing = Narrowing(impact.Impact(decisions), 3.2)
    built = EXPLAINED[:1]
    p = plan.build_plan(
        plan.SlimInputs(
            pr=7,
            schema="PR_7",
            dialect=DUCKDB,
            state_dir=STATE,
            state_source="prod deploy d-1 (BLUE)",
            vars_json="",
            favor_state=True,
            clone=(),
            selected=len(built),
            comment="upsert the sticky PR comment",
            facts=(("environment", "dev"), ("defers to", "prod")),
            narrowed=impact.selection(narrowing.impact),  # type: ignore[arg-type]
            narrowed_from=len(EXPLAINED),
        )
    )
    outcomes = [plan.Outcome("model.shop.stg_orders", "success")]
    return build_report(
        pr=7,
        plan_=p,
        explained=built,
        spots=(),
        tally=plan.tally(len(built), outcomes),
        pr_facts=ManifestFacts(NODES, {}),
        dry_run=False,
        build_ok=True,
        notes=[],
        duration=21.0,
        run_url=run_url("d-7"),
        outcomes=outcomes,
        project_prefix="dbt",
        source_url=f"{SERVER}/{REPO}/blob/{'ab' * 20}",
        narrowing=narrowing,
        impact_mode="columns",
    )


CASES: dict[str, Callable[[], StageReport]] = {
    "deploy-success": deploy_success,
    "deploy-blocked-gate": deploy_blocked_gate,
    "deploy-lock-held": lock_held,
    "rollback-done": rollback_done,
    "rollback-refused": rollback_refused,
    "status-lock-held": status_lock_held,
    "pr-comment-success": slim_success,
    "pr-comment-failed-test": slim_failed_test,
    "pr-comment-sql-error": slim_sql_error,
    "pr-comment-column-impact": slim_column_impact,
}
