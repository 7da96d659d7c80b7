"""``pipelineops demo``: the whole pipeline on the embedded local engine, on a fresh warehouse.

Works on a copy of the repository's dbt project under ``.pipelineops/demo`` (a git repository, so pull
requests can be simulated), with its own ``pipelineops.yml`` and DuckLake warehouse. Every act calls the
same stage commands the actions call; nothing here is a special demo path.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipelineops.commands import bluegreen_swap, rollback, status
from pipelineops.config import Config, load_config
from pipelineops.engines.duckdb import LocalEngine
from pipelineops.errors import PipelineOpsError, UserError
from pipelineops.report.model import Section, StageReport
from pipelineops.report.reporter import Reporter

BAD_CHANGE = ("models/staging/crm/stg_customers.sql", "where delivery_rank = 1", "where delivery_rank >= 1")
PR_CHANGE = ("models/staging/catalogue/stg_products.sql",)
DEMO_PR = 42

DEMO_CONFIG = """\
# Written by `pipelineops demo`: the reference project on a local DuckLake warehouse.
version: 1
dbt:
  project_dir: dbt
layout:
  consumer_schemas: {consumer_schemas}
environments:
  dev:
    engine: duckdb
    dbt_target: local_dev
    local_dir: warehouse  # PR schemas sit next to production, as in one Snowflake account
  prod:
    engine: duckdb
    dbt_target: local_prod
    local_dir: warehouse
checks:
  freshness: true  # the reference carrier.shipments feed is stale on purpose: a warning, not a stop
"""


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=PipelineOps Demo", "-c", "user.email=demo@pipelineops.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def prepare_workspace(config: Config, *, keep: bool) -> Path:
    """A fresh copy of the dbt project in a git repository with a demo pipelineops.yml."""
    root = config.root / ".pipelineops" / "demo"
    if root.exists() and not keep:
        shutil.rmtree(root)
    if not (root / "pipelineops.yml").exists():
        root.mkdir(parents=True, exist_ok=True)
        shutil.copytree(
            config.project_dir,
            root / "dbt",
            ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"),
        )
        schemas = "[" + ", ".join(config.consumer_schemas) + "]"
        (root / "pipelineops.yml").write_text(DEMO_CONFIG.format(consumer_schemas=schemas), encoding="utf-8")
        _git(root, "init", "-q", "-b", "main")
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "reference project")
    return root


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    keep: bool = False,
) -> StageReport:
    if dry_run:
        raise UserError(
            "the demo has no dry run", fix="run `pipelineops demo`; it only touches .pipelineops/demo"
        )
    started = time.monotonic()
    root = prepare_workspace(config, keep=keep)
    demo_cfg = load_config(root / "pipelineops.yml")
    env = {**environ, "USER": environ.get("USER", "demo")}
    acts: list[tuple[str, str, str, float]] = []

    def act(name: str, fn: Callable[[], StageReport], *, expect_failure: bool = False) -> StageReport | None:
        name = f"{len(acts) + 1}. {name}"
        reporter.info(f"\n━━ {name} ━━")
        t0 = time.monotonic()
        try:
            report = fn()
        except PipelineOpsError as exc:
            if not expect_failure:
                raise
            reporter.info(exc.render())
            acts.append((name, "stopped as expected", exc.what, time.monotonic() - t0))
            return None
        reporter.publish(report, json_mode=False)
        outcome: str = report.conclusion
        if expect_failure and outcome == "failure":
            outcome = "stopped as expected"
        elif expect_failure or outcome == "failure":
            raise PipelineOpsError(f"demo act {name!r} ended {report.conclusion}: {report.title}")
        acts.append((name, outcome, report.title, time.monotonic() - t0))
        return report

    common: dict[str, Any] = {
        "config": demo_cfg,
        "env_name": "prod",
        "dry_run": False,
        "reporter": reporter,
        "environ": env,
    }
    act(
        "first deploy (builds BLUE, publishes it)",
        lambda: bluegreen_swap.run(**common, deploy_id="demo-1"),
    )
    act(
        "second deploy (builds GREEN while readers use BLUE)",
        lambda: bluegreen_swap.run(**common, deploy_id="demo-2"),
    )
    _pull_request_act(act, root, demo_cfg, reporter, env)
    path, good, bad = BAD_CHANGE
    model = root / "dbt" / path
    original = model.read_text(encoding="utf-8")
    if good not in original:
        raise PipelineOpsError(
            f"demo: {path} no longer contains {good!r}; update BAD_CHANGE in commands/demo.py"
        )
    model.write_text(original.replace(good, bad), encoding="utf-8")
    try:
        act(
            "a bad change (customer de-duplication removed) is stopped by the gates",
            lambda: bluegreen_swap.run(**common, deploy_id="demo-3-bad"),
            expect_failure=True,
        )
    finally:
        model.write_text(original, encoding="utf-8")
    act("status: production untouched", lambda: status.run(**common))
    act("deploy again (GREEN → BLUE)", lambda: bluegreen_swap.run(**common, deploy_id="demo-4"))
    act(
        "rollback button: back to the previous deploy",
        lambda: rollback.run(**common, reason="demo: pretend demo-4 broke a dashboard"),
    )
    version = _corrupt_orders(root / "warehouse", demo_cfg)
    act(
        "time travel: a bad append doubled 200 orders; restore fct_orders as it was",
        lambda: rollback.run(
            **common, mode="time-travel", model="fct_orders", to_version=version, reason="demo: bad append"
        ),
    )
    act("status after the rollback and the restore", lambda: status.run(**common, limit=20))
    return StageReport(
        stage="demo",
        conclusion="success",
        title=f"Demo finished: {len(acts)} acts on the local engine",
        facts=(("workspace", str(root)), ("warehouse", str(root / "warehouse"))),
        sections=(
            _journal(demo_cfg, reporter, env),
            Section(
                "What happened",
                ("act", "outcome", "result", "seconds"),
                tuple((a, o, t, f"{s:.1f}") for a, o, t, s in acts),
            ),
        ),
        duration_s=time.monotonic() - started,
    )


def _journal(cfg: Config, reporter: Reporter, env: Mapping[str, str]) -> Section:
    """Every DEPLOY_STATE row of the demo, in journal order."""
    from pipelineops.execute.runtime import Runtime

    rt = Runtime.open(
        config=cfg, env_name="prod", dry_run=False, reporter=reporter, environ=env, stage="demo"
    )
    try:
        rows = rt.journal.history()
    finally:
        rt.close()
    columns = (
        "deploy_id",
        "kind",
        "step",
        "status",
        "colour_from",
        "colour_to",
        "actor",
        "elapsed_ms",
        "reason",
    )
    return Section(
        f"DEPLOY_STATE ({len(rows)} rows)",
        ("deploy id", "kind", "step", "status", "from", "to", "actor", "ms", "reason"),
        tuple(tuple("" if r.get(c) is None else str(r.get(c)) for c in columns) for r in rows),
    )


def _pull_request_act(
    act: Callable[..., StageReport | None],
    root: Path,
    cfg: Config,
    reporter: Reporter,
    env: Mapping[str, str],
) -> None:
    """A pull request that changes one staging model: slim-ci builds it in CI_PR_<n>, then cleanup."""
    from pipelineops.commands import pr_schema, schema_cleanup, slim_ci

    (path,) = PR_CHANGE
    model = root / "dbt" / path
    original = model.read_text(encoding="utf-8")
    _git(root, "checkout", "-q", "-b", "pr-42")
    model.write_text(
        original.rstrip("\n") + "\n-- PR #42: documents the product feed columns\n", encoding="utf-8"
    )
    _git(root, "commit", "-qam", "PR #42")
    comment = root / "pr-comment.md"
    common: dict[str, Any] = {
        "config": cfg,
        "env_name": "dev",
        "dry_run": False,
        "reporter": reporter,
        "environ": env,
    }
    try:
        act(
            f"PR #{DEMO_PR}: pr-schema creates CI_PR_{DEMO_PR} and its companions",
            lambda: pr_schema.run(**common, action="create", pr=str(DEMO_PR)),
        )
        act(
            f"PR #{DEMO_PR}: slim-ci builds only the changed model and its descendants in CI_PR_{DEMO_PR}",
            lambda: slim_ci.run(**common, pr=str(DEMO_PR), base_ref="main", comment_file=str(comment)),
        )
        if comment.exists():
            reporter.info(
                "The sticky PR comment this run would post:\n" + comment.read_text(encoding="utf-8")
            )
        act(
            f"PR #{DEMO_PR} closed: schema-cleanup drops its schemas",
            lambda: schema_cleanup.run(**common, pr=str(DEMO_PR)),
        )
    finally:
        _git(root, "checkout", "-q", "main")


def _corrupt_orders(warehouse: Path, cfg: Config) -> int:
    """Simulate a bad incremental append on the live fct_orders; return the version before it."""
    from pipelineops.execute.deploy_facts import schemas
    from pipelineops.plan.sql import Relation

    engine = LocalEngine(warehouse.resolve(), database=cfg.environment("prod").database)
    try:
        live = next(s for s in sorted(schemas(engine)) if s.startswith("MARTS__") and _is_live(engine, s))
        table = Relation(engine.database, live, "fct_orders").sql(engine.dialect)
        version = engine.snapshot_version()
        engine.execute(f"INSERT INTO {table} SELECT * FROM {table} LIMIT 200")  # the "bad append"
        return version
    finally:
        engine.close()


def _is_live(engine: LocalEngine, schema: str) -> bool:
    from pipelineops.plan.sql import view_definitions

    rows = engine.query(view_definitions(engine.database, "MARTS", engine.dialect))
    return any(schema.upper() in str(r.get("sql", "")).upper() for r in rows)
