"""Read and strictly validate ``pipelineops.yml``.

Every error names the field, the bad value and the fix, in one line plus a fix, and nothing touches a
warehouse before the file is valid. The JSON Schema (``schema.json``) is the single source of the rules;
it ships with the package so editors can complete the file.
"""

from __future__ import annotations

import json
import logging
import math
from importlib import resources
from pathlib import Path
from typing import Any, cast

import jsonschema
import yaml

from pipelineops.config.engines import ENGINE_SECTIONS
from pipelineops.config.model import (
    ENV_NAMES,
    ChecksConfig,
    Config,
    DataDiffConfig,
    EnvironmentConfig,
    EnvName,
    SnowflakeConnection,
)
from pipelineops.errors import UserError
from pipelineops.plan.anomaly import Rules, Settings, override

log = logging.getLogger(__name__)
RUNBOOK = "configuration.md"


def schema() -> dict[str, Any]:
    text = resources.files("pipelineops.config").joinpath("schema.json").read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))


def load_config(path: Path) -> Config:
    """Read ``path`` and return the validated config, or raise ``UserError``."""
    if not path.is_file():
        raise UserError(
            f"configuration file {path} not found",
            fix="create pipelineops.yml at the repository root (see README: Adopting PipelineOps) "
            "or pass --config PATH",
            runbook=RUNBOOK,
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path.name} is not UTF-8 text (byte {exc.start})",
            fix="save the file as UTF-8",
            runbook=RUNBOOK,
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise UserError(
            f"{path.name} is not valid YAML{where}",
            why=str(getattr(exc, "problem", exc)),
            fix="fix the YAML syntax (indentation, a missing colon or an unclosed quote)",
            runbook=RUNBOOK,
        ) from exc
    return parse_config(raw, path=path.resolve())


def _where(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "(top level)"


def _explain(error: jsonschema.ValidationError, path: Path) -> UserError:
    where = _where(error)
    rule = cast(dict[str, Any], error.schema) if isinstance(error.schema, dict) else {}
    expected = cast(Any, error.validator_value)
    try:
        value = json.dumps(error.instance, default=str)
    except TypeError:  # a mapping with non-string keys (YAML allows `1:` or a date as a key)
        value = repr(error.instance)
    if len(value) > 80:
        value = value[:77] + "..."
    validator = error.validator
    fix = "see the schema: pipelineops/config/schema.json"
    if validator == "additionalProperties":
        allowed = sorted(cast(dict[str, Any], rule.get("properties", {})))
        extra = sorted(str(k) for k in cast(dict[Any, Any], error.instance) if k not in allowed)
        what = f"{path.name}: unknown key {extra[0]!r} in {where}" if extra else error.message
        fix = f"remove or rename it; allowed keys here: {', '.join(allowed)}"
    elif validator == "required":
        what = f"{path.name}: {where} is missing a required key: {error.message.split(' ')[0]}"
        fix = "add the key (see README: Adopting PipelineOps for a complete example)"
    elif validator == "type":
        what = f"{path.name}: {where} must be of type {error.validator_value}, got {value}"
        fix = f"write {where} as a {error.validator_value}"
    elif validator == "pattern":
        what = f"{path.name}: {where} = {value} is not an allowed name"
        desc = cast(str, rule.get("description", ""))
        fix = f"use {desc[0].lower()}{desc[1:]}" if desc else f"use a value matching {error.validator_value}"
    elif validator in ("enum", "const"):
        options = expected if validator == "enum" else [expected]
        what = f"{path.name}: {where} = {value} is not one of {', '.join(map(str, options))}"
        fix = f"use one of: {', '.join(map(str, options))}"
    elif validator == "propertyNames":
        what = f"{path.name}: environment name {value} is not allowed"
        fix = "environments are named dev, staging or prod"
    else:
        what = f"{path.name}: {where}: {error.message}"
    return UserError(what, fix=fix, runbook=RUNBOOK)


def parse_config(raw: object, *, path: Path) -> Config:
    """Validate an already-parsed YAML document and build the typed config."""
    if raw is None:
        raise UserError(f"{path.name} is empty", fix="start from the example in README: Adopting PipelineOps")
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        raise _explain(jsonschema.exceptions.best_match(errors) if len(errors) > 1 else errors[0], path)
    data = cast(dict[str, Any], raw)
    root = path.parent
    dbt = cast(dict[str, Any], data.get("dbt", {}))
    project_dir = (root / dbt.get("project_dir", "dbt")).resolve()
    profiles_dir = (root / dbt.get("profiles_dir", dbt.get("project_dir", "dbt"))).resolve()
    layout = cast(dict[str, Any], data.get("layout", {}))
    default_readers = tuple(str(r).upper() for r in layout.get("reader_roles", []))
    envs: dict[EnvName, EnvironmentConfig] = {}
    for name, env in cast(dict[str, dict[str, Any]], data["environments"]).items():
        envs[cast(EnvName, name)] = _environment(cast(EnvName, name), env, root, path, default_readers)
    checks = cast(dict[str, Any], data.get("checks", {}))
    delta = cast(dict[str, Any], checks.get("row_count_delta", {}))
    warn_pct, fail_pct = float(delta.get("warn_pct", 10)), float(delta.get("fail_pct", 50))
    if math.isnan(warn_pct) or math.isnan(fail_pct):
        raise UserError(
            f"{path.name}: checks.row_count_delta thresholds must be numbers, got .nan",
            fix="set warn_pct and fail_pct to percentages such as 10 and 50",
            runbook=RUNBOOK,
        )
    if warn_pct > fail_pct:
        raise UserError(
            f"{path.name}: checks.row_count_delta.warn_pct ({warn_pct:g}) is above fail_pct ({fail_pct:g})",
            fix="make warn_pct less than or equal to fail_pct",
            runbook=RUNBOOK,
        )
    slim = cast(dict[str, Any], data.get("slim_ci", {}))
    deploy = cast(dict[str, Any], data.get("deploy", {}))
    cleanup = cast(dict[str, Any], data.get("cleanup", {}))
    rollback = cast(dict[str, Any], data.get("rollback", {}))
    return Config(
        path=path,
        root=root,
        project_dir=project_dir,
        profiles_dir=profiles_dir,
        consumer_schemas=tuple(s.upper() for s in layout.get("consumer_schemas", ["MARTS"])),
        journal_schema=str(layout.get("journal_schema", "PIPELINEOPS")).upper(),
        raw_schema=str(layout.get("raw_schema", "RAW")).upper(),
        reader_roles=default_readers,
        environments=envs,
        checks=ChecksConfig(
            dbt_tests=bool(checks.get("dbt_tests", True)),
            row_count_warn_pct=warn_pct,
            row_count_fail_pct=fail_pct,
            non_empty=bool(checks.get("non_empty", True)),
            contract=bool(checks.get("contract", True)),
            freshness=bool(checks.get("freshness", False)),
            anomaly=bool(checks.get("anomaly", False)),
        ),
        anomaly=_anomaly_rules(cast(dict[str, Any], data.get("anomaly", {})), path),
        favor_state=bool(slim.get("favor_state", True)),
        slim_ci_environment=cast(EnvName, slim.get("environment", "dev")),
        slim_ci_defer_to=cast(EnvName, slim.get("defer_to", "prod")),
        clone_incremental_parents=bool(slim.get("clone_incremental_parents", True)),
        cleanup_max_age_hours=int(cleanup.get("max_age_hours", 168)),
        require_reason_in=tuple(rollback.get("require_reason_in", ["prod"])),
        keep_aside_hours=int(rollback.get("keep_aside_hours", 72)),
        slim_ci_diff=_data_diff(cast(dict[str, Any], slim.get("diff", {}))),
        deploy_mode="full" if deploy.get("mode") == "full" else "slim",
        slim_ci_impact="nodes" if slim.get("impact") == "nodes" else "columns",
    )


def _data_diff(diff: dict[str, Any]) -> DataDiffConfig:
    """``slim_ci.diff`` (the schema has checked names and ranges)."""
    keys = cast(dict[str, list[str]], diff.get("keys", {}))
    return DataDiffConfig(
        enabled=bool(diff.get("enabled", True)),
        keys=tuple((str(model), tuple(str(c) for c in columns)) for model, columns in sorted(keys.items())),
        threshold=int(diff.get("threshold", 1_000_000)),
        budget_seconds=int(diff.get("budget_seconds", 120)),
        sensitive=tuple(str(s) for s in diff.get("sensitive", [])),
        examples=int(diff.get("examples", 3)),
    )


def _anomaly_rules(raw: dict[str, Any], path: Path) -> Rules:
    """``anomaly:``: the defaults, then one override per model (``schema.model`` or ``model``)."""
    default = override(Settings(), raw)
    models = {
        str(name).lower(): override(default, cast(dict[str, Any], entry))
        for name, entry in cast(dict[str, Any], raw.get("models", {})).items()
    }
    for name, s in (("anomaly", default), *((f"anomaly.models.{m}", s) for m, s in models.items())):
        if s.min_history > s.window:
            raise UserError(
                f"{path.name}: {name}.min_history ({s.min_history}) is above its window ({s.window})",
                why="a model is judged against at most `window` earlier counts, so it would never be judged",
                fix="make min_history less than or equal to window",
                runbook=RUNBOOK,
            )
    return Rules(default, models)


def _environment(
    name: EnvName, env: dict[str, Any], root: Path, path: Path, default_readers: tuple[str, ...] = ()
) -> EnvironmentConfig:
    assert name in ENV_NAMES
    engine = env["engine"]
    section = ENGINE_SECTIONS[engine]
    for block in sorted({s.block for s in ENGINE_SECTIONS.values() if s.block} - {section.block}):
        if block in env:
            raise UserError(
                f"{path.name}: environments.{name} uses engine {engine} but has a `{block}:` block",
                fix=f"set the engine the `{block}:` block is for, or remove the block",
                runbook=RUNBOOK,
            )
    if section.block and section.block not in env:
        raise UserError(
            f"{path.name}: environments.{name} uses engine {engine} but has no `{section.block}:` block",
            fix=f"add environments.{name}.{section.block} with {section.block_fields}",
            runbook=RUNBOOK,
        )
    if not section.local and "local_dir" in env:
        raise UserError(
            f"{path.name}: environments.{name}.local_dir is only for an engine that keeps its data on disk "
            f"({', '.join(e for e, s in ENGINE_SECTIONS.items() if s.local)})",
            fix="remove local_dir",
            runbook=RUNBOOK,
        )
    if section.default_database is None and "database" not in env:
        raise UserError(
            f"{path.name}: environments.{name} uses engine {engine} but sets no database",
            fix=f"add environments.{name}.database, e.g. {section.database_example}",
            runbook=RUNBOOK,
        )
    sf = env.get("snowflake")
    local_dir = None
    if section.local:
        local_dir = (root / env.get("local_dir", f".pipelineops/warehouse/{name}")).resolve()
    return EnvironmentConfig(
        name=name,
        engine=engine,
        dbt_target=env["dbt_target"],
        database=str(env.get("database", section.default_database or "")),
        local_dir=local_dir,
        snowflake=SnowflakeConnection(**sf) if sf is not None else None,
        reader_roles=(
            tuple(str(r).upper() for r in env["reader_roles"]) if "reader_roles" in env else default_readers
        ),
    )
