"""``dbt source freshness`` run for an environment, and every source it checked read back (failed queries
included): for ``pipelineops freshness`` and the deploy's ``checks.freshness`` gate."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from pipelineops.errors import PipelineOpsError
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import freshness

log = logging.getLogger(__name__)


def _load(path: Path) -> Mapping[str, object]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return cast(Mapping[str, object], data if isinstance(data, dict) else {})


def check_sources(
    rt: Runtime, args: tuple[str, ...], *, name: str
) -> tuple[tuple[freshness.SourceFreshness, ...], int, object]:
    """Run dbt; return every checked source (failed queries included), dbt's exit code and its raw results.

    dbt leaves failed freshness queries out of sources.json; they come from its JSON file log."""
    runner = rt.dbt(name)
    sources_json = runner.target_path / "sources.json"
    dbt_log = runner.log_path / "dbt.log"
    for stale in (sources_json, dbt_log):  # never judge the artifacts of an earlier run
        stale.unlink(missing_ok=True)
    result = rt.run_dbt(name, args)
    if not sources_json.is_file():
        raise PipelineOpsError(
            f"dbt {' '.join(args[:2])} did not run: it wrote no sources.json (dbt exit code {result.returncode})",
            why="dbt stopped before checking any source; its last lines:\n"
            + "\n".join(result.output_tail[-15:]),
            fix=f"run `dbt {' '.join(args[:2])} --target {rt.ctx.environment.dbt_target}` in the dbt project "
            "and fix the error it names (profile, connection, or a project that does not parse)",
            runbook=freshness.RUNBOOK,
        )
    lines = dbt_log.read_text(encoding="utf-8", errors="replace").splitlines() if dbt_log.is_file() else []
    data = _load(sources_json)
    sources = freshness.parse_sources(
        data,
        failed=freshness.runtime_errors(lines),
        manifest_thresholds=freshness.thresholds(_load(runner.target_path / "manifest.json")),
    )
    return sources, result.returncode, data.get("results", [])
