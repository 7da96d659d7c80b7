"""What every stage command receives from the CLI: the validated config and the run's surroundings."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelineops.config import Config, EnvironmentConfig
from pipelineops.report.reporter import Reporter


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    config: Config
    env_name: str
    dry_run: bool
    reporter: Reporter
    environ: Mapping[str, str]
    clock: Callable[[], datetime] = field(default=utc_now)

    @property
    def environment(self) -> EnvironmentConfig:
        return self.config.environment(self.env_name)

    @property
    def work_dir(self) -> Path:
        """Scratch space for dbt artifacts of this environment (target/, logs/)."""
        return self.config.root / ".pipelineops" / "runs" / self.env_name

    @property
    def actor(self) -> str:
        return self.environ.get("GITHUB_ACTOR") or self.environ.get("USER") or "unknown"

    @property
    def run_url(self) -> str:
        server = self.environ.get("GITHUB_SERVER_URL", "")
        repo = self.environ.get("GITHUB_REPOSITORY", "")
        run = self.environ.get("GITHUB_RUN_ID", "")
        return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else ""

    def query_tag(self, stage: str) -> str:
        return json.dumps(
            {
                "app": "pipelineops",
                "stage": stage,
                "env": self.env_name,
                "repo": self.environ.get("GITHUB_REPOSITORY", ""),
                "run": self.environ.get("GITHUB_RUN_ID", ""),
            },
            sort_keys=True,
        )
