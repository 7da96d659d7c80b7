"""Typed, frozen view of ``pipelineops.yml``. Built only by ``config.load``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pipelineops.plan.anomaly import Rules

EnvName = Literal["dev", "staging", "prod"]
EngineName = Literal["duckdb", "snowflake"]
ENV_NAMES: tuple[EnvName, ...] = ("dev", "staging", "prod")


@dataclass(frozen=True)
class SnowflakeConnection:
    account: str
    user: str
    role: str
    warehouse: str
    auth: Literal["key-pair", "oidc"] = "key-pair"
    host: str | None = None
    port: int | None = None
    protocol: Literal["https", "http"] = "https"


@dataclass(frozen=True)
class EnvironmentConfig:
    name: EnvName
    engine: EngineName
    dbt_target: str
    database: str
    local_dir: Path | None = None
    snowflake: SnowflakeConnection | None = None
    # roles that read this environment's consumer views: environments.<env>.reader_roles, else the
    # deprecated project-wide layout.reader_roles
    reader_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChecksConfig:
    dbt_tests: bool = True
    row_count_warn_pct: float = 10.0
    row_count_fail_pct: float = 50.0
    non_empty: bool = True
    contract: bool = True
    freshness: bool = False
    anomaly: bool = False


@dataclass(frozen=True)
class DataDiffConfig:
    """``slim_ci.diff``: the data diff of a pull request's modified models against production."""

    enabled: bool = True
    keys: tuple[tuple[str, tuple[str, ...]], ...] = ()
    threshold: int = 1_000_000
    budget_seconds: int = 120
    sensitive: tuple[str, ...] = ()
    examples: int = 3

    def keys_by_model(self) -> dict[str, tuple[str, ...]]:
        return dict(self.keys)


@dataclass(frozen=True)
class Config:
    path: Path
    root: Path
    project_dir: Path
    profiles_dir: Path
    consumer_schemas: tuple[str, ...]
    journal_schema: str
    raw_schema: str
    environments: dict[EnvName, EnvironmentConfig]
    checks: ChecksConfig
    favor_state: bool = True
    slim_ci_environment: EnvName = "dev"
    slim_ci_defer_to: EnvName = "prod"
    clone_incremental_parents: bool = True
    cleanup_max_age_hours: int = 168
    require_reason_in: tuple[EnvName, ...] = ("prod",)
    keep_aside_hours: int = 72
    reader_roles: tuple[str, ...] = ()  # layout.reader_roles (deprecated default of every environment's)
    anomaly: Rules = field(default_factory=Rules)
    slim_ci_diff: DataDiffConfig = DataDiffConfig()
    deploy_mode: Literal["slim", "full"] = "slim"  # deploy.mode: what bluegreen-swap builds by default
    slim_ci_impact: Literal["columns", "nodes"] = "columns"  # slim_ci.impact: column-aware narrowing or not

    def connecting_as(self, name: str, identity_of: str) -> Config:
        """This config, with environment ``name`` reached through ``identity_of``'s Snowflake connection.

        Slim CI reads ``defer_to`` (prod) as the pull-request identity of ``slim_ci.environment`` (dev):
        same account, prod's database, the PR user and role (which read prod through ``PROD_CI_READER``
        and can write nothing there), so the job never needs a production key. No-op on the local engine.
        """
        target, source = self.environment(name), self.environment(identity_of)
        if target.snowflake is None or source.snowflake is None:
            return self
        envs = dict(self.environments)
        envs[target.name] = replace(target, snowflake=source.snowflake)
        return replace(self, environments=envs)

    def environment(self, name: str) -> EnvironmentConfig:
        """The named environment; ``UserError`` naming the configured ones when absent."""
        from pipelineops.errors import UserError

        env: EnvironmentConfig | None = dict(self.environments).get(name)  # type: ignore[call-overload]
        if env is None:
            known = ", ".join(sorted(self.environments)) or "none"
            raise UserError(
                f"environment {name!r} is not configured in {self.path.name} (configured: {known})",
                fix=f"add it under `environments:`, e.g.\n  environments:\n    {name}:\n"
                "      engine: duckdb\n      dbt_target: local_" + name,
            )
        return env
