"""Shared wiring for stage commands: the context, the engine, the journal and dbt for one environment."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipelineops import __version__
from pipelineops.config import Config
from pipelineops.dbt import parse_cache
from pipelineops.dbt.artifacts import load_json
from pipelineops.dbt.events import previous_run, progress_verb
from pipelineops.dbt.runner import DbtInvocation, DbtRunner
from pipelineops.engines.base import Engine
from pipelineops.engines.factory import open_engine
from pipelineops.errors import CheckFailed
from pipelineops.execute.context import Context
from pipelineops.journal import Journal
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    ctx: Context
    engine: Engine
    journal: Journal

    @classmethod
    def open(
        cls,
        *,
        config: Config,
        env_name: str,
        dry_run: bool,
        reporter: Reporter,
        environ: Mapping[str, str],
        stage: str,
        create_warehouse: bool | None = None,
    ) -> Runtime:
        """``create_warehouse`` (default: not a dry run) says whether a missing local warehouse may be
        created; read-only stages pass False."""
        ctx = Context(config=config, env_name=env_name, dry_run=dry_run, reporter=reporter, environ=environ)
        env = ctx.environment
        engine = open_engine(
            env,
            environ=environ,
            query_tag=ctx.query_tag(stage),
            create=(not dry_run) if create_warehouse is None else create_warehouse,
        )
        journal = Journal(engine, config.journal_schema, env.name, ctx.clock)
        return cls(ctx, engine, journal)

    def dbt(self, name: str) -> DbtRunner:
        env = self.ctx.environment
        work = self.ctx.work_dir / name
        return DbtRunner(
            project_dir=self.ctx.config.project_dir,
            profiles_dir=self.ctx.config.profiles_dir,
            target=env.dbt_target,
            env={**self.engine.dbt_env(), "PIPELINEOPS_QUERY_TAG": self.ctx.query_tag(name)},
            target_path=work / "target",
            log_path=work / "logs",
        )

    def run_dbt(self, name: str, args: tuple[str, ...]) -> DbtInvocation:
        """Run dbt with the warehouse released when the engine needs it (the local engine is single-process;
        a Snowflake session stays open)."""
        self.engine.release_for_dbt()
        reporter = self.ctx.reporter
        runner = self.dbt(name)
        title = f"dbt {' '.join(args[:1])} ({name})"
        verb = progress_verb(args)
        with reporter.group(title):
            if verb is None:
                return runner.run(args, on_line=reporter.tool_output)
            with reporter.progress(
                title, verb=verb, previous=previous_run(runner.target_path, args[0])
            ) as progress:
                return runner.run(
                    args, on_line=reporter.tool_output, on_event=progress.update, on_tick=progress.tick
                )

    def parse(self, name: str, vars_json: str) -> dict[str, Any]:
        """``dbt parse`` with the given vars; returns the manifest (reused when nothing dbt reads changed)."""
        args = ("parse", "--vars", vars_json)
        runner = self.dbt(name)
        cache_dir = self.ctx.work_dir / "parse-cache"
        key = parse_cache.cache_key(
            project_dir=runner.project_dir,
            profiles_dir=runner.profiles_dir,
            args=(*args, runner.target),
            env={**os.environ, **runner.env},
            version=__version__,
        )
        cached = parse_cache.lookup(cache_dir, key)
        if cached is not None:
            self.ctx.reporter.info(
                f"dbt parse skipped: the project is unchanged since the last parse ({key[:12]})"
            )
            return load_json(cached)
        result = self.run_dbt(name, args)
        if not result.ok:
            raise CheckFailed(
                "dbt parse failed: the project does not compile",
                why="\n".join(result.output_tail[-15:]),
                fix="run `dbt parse` locally and fix the error it names",
            )
        manifest = result.target_path / "manifest.json"
        data = load_json(manifest)
        parse_cache.store(cache_dir, key, manifest)
        return data

    def close(self) -> None:
        self.engine.close()
