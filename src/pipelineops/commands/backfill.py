"""``pipelineops backfill``: re-run a microbatch model over a date range, in batches, as a blue/green deploy.

The command checks its inputs and hands a ``Backfiller`` (``execute/backfill.py``: the deploy with one
journalled dbt run per batch) to the deploy command's runner.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipelineops.commands.bluegreen_swap import run_deploy
from pipelineops.config import Config
from pipelineops.execute.backfill import STAGE, Backfiller
from pipelineops.execute.deploy import Deployer
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import backfill
from pipelineops.report.model import StageReport
from pipelineops.report.reporter import Reporter


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    model: str,
    start: str,
    end: str,
    batch_size: str | None = None,
    deploy_id: str | None = None,
    git_sha: str | None = None,
    force_unlock: bool = False,
    vars: str = "",
    allow_rolled_back: bool = False,
) -> StageReport:
    # Bad input fails here, before any warehouse session is opened (the model is checked against the
    # manifest once dbt has parsed the project, before anything is written).
    first, last = backfill.parse_date(start, "--start"), backfill.parse_date(end, "--end")
    size = backfill.parse_batch_size(batch_size) if batch_size else None
    if size is None:
        backfill.check_range(first, last)
    else:
        backfill.batches(first, last, size)

    def make(
        rt: Runtime,
        *,
        deploy_id: str,
        git_sha: str,
        extra_vars: Mapping[str, object],
        allow_rolled_back: bool = False,
    ) -> Deployer:
        return Backfiller(
            rt,
            deploy_id=deploy_id,
            git_sha=git_sha,
            extra_vars=extra_vars,
            allow_rolled_back=allow_rolled_back,
            model=model,
            start=first,
            end=last,
            size=size,
        )

    return run_deploy(
        make,
        stage=STAGE,
        config=config,
        env_name=env_name,
        dry_run=dry_run,
        reporter=reporter,
        environ=environ,
        deploy_id=deploy_id,
        git_sha=git_sha,
        force_unlock=force_unlock,
        vars=vars,
        allow_rolled_back=allow_rolled_back,
    )
