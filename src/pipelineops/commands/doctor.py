"""``pipelineops doctor``: is this repository set up so that every stage does what it says?

The checks themselves are pure (``plan/doctor.py``); this module gathers their facts: the profiles file,
``dbt parse`` with the colour and PR vars (offline: no warehouse is opened), the environment variables,
and, when a local warehouse exists, its raw layer. ``preflight`` runs the cheap subset at the start of
pr-schema, slim-ci and the deploys, so a silent misconfiguration stops them before anything changes.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, cast

import yaml

from pipelineops import __version__
from pipelineops.config import Config
from pipelineops.config.model import EnvironmentConfig
from pipelineops.dbt import parse_cache
from pipelineops.dbt.artifacts import load_json, relation_nodes
from pipelineops.dbt.runner import DbtRunner, vars_arg
from pipelineops.engines.duckdb import local_paths
from pipelineops.engines.factory import warehouse
from pipelineops.errors import CheckFailed, PipelineOpsError
from pipelineops.plan import doctor as checks
from pipelineops.plan.doctor import Check, EnvFacts, NodePlace
from pipelineops.report.doctor import doctor_report
from pipelineops.report.model import StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)
SAMPLE_PR = 1


def env_facts(env: EnvironmentConfig) -> EnvFacts:
    place = warehouse(env)
    return EnvFacts(env.name, env.engine, env.dbt_target, place.key, place.share_fix)


def profile_outputs(config: Config) -> tuple[str, dict[str, str] | None]:
    """(profile name, target → adapter type), or None for the outputs when the profile is not found."""
    if not (config.project_dir / "dbt_project.yml").is_file():
        return "", None  # no project there: dbt says so, with its own fix, when the stage runs it
    project = cast(
        dict[str, Any], yaml.safe_load((config.project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    )
    profile = str(project.get("profile", ""))
    path = config.profiles_dir / "profiles.yml"
    if not path.is_file():
        return profile, None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entry = data.get(profile) if isinstance(data, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("outputs"), dict):
        return profile, None
    return profile, {
        str(name): str(out.get("type", "")) for name, out in entry["outputs"].items() if isinstance(out, dict)
    }


def offline_dbt_env(env: EnvironmentConfig) -> dict[str, str]:
    """The variables the profile reads, without opening the warehouse and without any secret."""
    if env.snowflake is not None:
        sf = env.snowflake
        return {
            "SNOWFLAKE_ACCOUNT": sf.account,
            "SNOWFLAKE_USER": sf.user,
            "SNOWFLAKE_ROLE": sf.role,
            "SNOWFLAKE_WAREHOUSE": sf.warehouse,
            "SNOWFLAKE_DATABASE": env.database,
        }
    assert env.local_dir is not None
    return {
        "PIPELINEOPS_LOCAL_DIR": str(env.local_dir),
        "PIPELINEOPS_DUCKDB_EXTENSION_DIR": str(local_paths(env.local_dir)[2]),
    }


def parse_places(config: Config, env: EnvironmentConfig, values: Mapping[str, object]) -> list[NodePlace]:
    """Where every relation lands with ``values`` as dbt vars (``dbt parse``, cached while nothing changes)."""
    vars_json = vars_arg(values)
    label = "-".join(f"{k}-{v}" for k, v in sorted(values.items()))
    work = config.root / ".pipelineops" / "runs" / env.name / "doctor"
    runner = DbtRunner(
        project_dir=config.project_dir,
        profiles_dir=config.profiles_dir,
        target=env.dbt_target,
        env=offline_dbt_env(env),
        target_path=work / label / "target",
        log_path=work / label / "logs",
    )
    args = ("parse", "--vars", vars_json)
    key = parse_cache.cache_key(
        project_dir=runner.project_dir,
        profiles_dir=runner.profiles_dir,
        args=(*args, runner.target),
        env={**os.environ, **runner.env},
        version=__version__,
    )
    cached = parse_cache.lookup(work / "parse-cache", key)
    if cached is None:
        result = runner.run(args)
        if not result.ok:
            raise CheckFailed(
                f"dbt parse failed with vars {vars_json}",
                why="\n".join(result.output_tail[-10:]),
                fix="run `dbt parse` in the project and fix the error it names",
            )
        cached = result.target_path / "manifest.json"
        parse_cache.store(work / "parse-cache", key, cached)
    manifest = load_json(cached)
    return [NodePlace(n.unique_id, n.resource_type, n.schema) for n in relation_nodes(manifest)]


def _parse_check(name: str, fn: Any) -> Check:
    try:
        return cast(Check, fn())
    except PipelineOpsError as exc:
        return Check(name, "fail", exc.what + (f": {exc.why.splitlines()[-1]}" if exc.why else ""), exc.fix)


def target_checks(config: Config, names: Sequence[str]) -> Check:
    profile, outputs = profile_outputs(config)
    return checks.targets([env_facts(config.environment(n)) for n in names], profile, outputs)


def defer_check(config: Config) -> Check:
    return checks.defer(
        env_facts(config.environment(config.slim_ci_environment)),
        env_facts(config.environment(config.slim_ci_defer_to)),
    )


def consumer_check(config: Config, env: EnvironmentConfig) -> Check:
    return _parse_check(
        "consumer schemas",
        lambda: checks.consumer_schemas(
            config.consumer_schemas, parse_places(config, env, {"pipelineops_colour": "BLUE"})
        ),
    )


def macro_check(config: Config, env: EnvironmentConfig) -> Check:
    def gather() -> Check:
        colours = {c: parse_places(config, env, {"pipelineops_colour": c}) for c in ("BLUE", "GREEN")}
        pr = parse_places(config, env, {"pipelineops_pr": SAMPLE_PR})
        return checks.schema_macro(colours, SAMPLE_PR, pr)

    return _parse_check("schema macro", gather)


def raw_relations(config: Config, env: EnvironmentConfig) -> list[str] | None:
    """Relations in the raw schema of a local warehouse that exists (None otherwise, or on Snowflake)."""
    if env.local_dir is None or not local_paths(env.local_dir)[0].exists():
        return None
    from pipelineops.engines.base import iter_names
    from pipelineops.engines.duckdb import LocalEngine
    from pipelineops.plan.sql import list_relations

    engine = LocalEngine(env.local_dir, database=env.database)
    try:
        rows = engine.query(list_relations(engine.database, config.raw_schema, engine.dialect))
        return list(iter_names(rows))
    except PipelineOpsError as exc:
        log.debug("raw data not readable: %s", exc.what)
        return []
    finally:
        engine.close()


def all_checks(config: Config, env_name: str, environ: Mapping[str, str]) -> list[Check]:
    prod = config.environment(config.slim_ci_defer_to)
    env = config.environment(env_name)
    local_dirs = sorted({str(e.local_dir) for e in config.environments.values() if e.local_dir is not None})
    found: list[Check] = [
        target_checks(config, sorted(config.environments)),
        defer_check(config),
        macro_check(config, env),
        consumer_check(config, env),
        checks.local_dir_variable(environ.get("PIPELINEOPS_LOCAL_DIR"), local_dirs),
        checks.raw_data(config.raw_schema, raw_relations(config, prod), prod.name),
    ]
    return found


def preflight(
    config: Config, stage: str, *, envs: Sequence[str], pr: bool = False, publish: str = ""
) -> None:
    """The cheap checks a stage runs before it changes anything; ``UserError`` (exit 2) when one fails.

    ``envs``: the environments the stage uses (their dbt targets); ``pr``: it builds PR schemas (they must
    be in production's warehouse); ``publish``: the environment a deploy publishes (its consumer schemas
    must each receive a model: a ``dbt parse``, cached while the project is unchanged).
    """
    found = [target_checks(config, envs)]
    if found[0].status == "fail" and profile_outputs(config)[1] is None:
        found = []  # no readable profiles file (generated in CI, or templated): dbt itself will say
    if pr:
        found.append(defer_check(config))
    if publish and not any(c.status == "fail" for c in found):
        try:
            places = parse_places(config, config.environment(publish), {"pipelineops_colour": "BLUE"})
        except PipelineOpsError as exc:  # the stage's own parse reports it, with dbt's error
            log.debug("preflight parse failed: %s", exc.what)
        else:
            found.append(checks.consumer_schemas(config.consumer_schemas, places))
    refused = checks.refusal(stage, found)
    if refused is not None:
        raise refused


def stage_preflight(config: Config, stage: str, env_name: str) -> None:
    """The preflight of one stage: PR stages build next to production; deploys publish every consumer schema."""
    if stage in ("pr-schema", "slim-ci"):
        from pipelineops.commands.pr_schema import pr_environment

        preflight(config, stage, envs=[pr_environment(config, env_name)], pr=True)
    elif stage == "freshness":
        preflight(config, stage, envs=[env_name])
    else:
        preflight(config, stage, envs=[env_name], publish=env_name)


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
) -> StageReport:
    started = time.monotonic()
    del dry_run  # doctor only reads
    env = env_name if env_name in config.environments else config.slim_ci_defer_to
    reporter.debug(f"doctor: checking {config.path} for environment {env}")
    found = all_checks(config, env, environ)
    return doctor_report(found, env=env, duration=time.monotonic() - started)


__all__ = ["preflight", "run", "stage_preflight"]
