"""The checks of ``pipelineops doctor``: pure verdicts on facts the command gathered. No I/O.

Each check returns a ``Check`` (pass, warn or fail) with what was found and, when it is not a pass, the
exact fix. ``refusal`` turns the failed checks into one ``UserError``: the stages run the cheap subset
before they change anything, so a misconfiguration that would pass silently (a consumer schema no model
lands in, a PR environment on another warehouse than production) stops them with exit 2.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pipelineops.errors import UserError
from pipelineops.plan.bluegreen_swap import base_schema
from pipelineops.plan.identifiers import pr_of_schema

log = logging.getLogger(__name__)

Status = Literal["pass", "warn", "fail"]
RUNBOOK = "configuration.md"
MACRO_FIX = (
    "run `pipelineops init` to compose the project's generate_schema_name with the colour and PR suffixes"
)


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class NodePlace:
    """Where one relation-building node lands for one set of vars."""

    unique_id: str
    resource_type: str
    schema: str


@dataclass(frozen=True)
class EnvFacts:
    """What the checks need to know about one configured environment."""

    name: str
    engine: str
    dbt_target: str
    warehouse: str  # a key naming its warehouse: the local folder, or the Snowflake account
    #: the fix that puts another environment ``{env}`` on this one's (``{of}``) warehouse
    share_fix: str = "put environments.{env} on the warehouse of {of}"


def _models(nodes: Iterable[NodePlace]) -> list[NodePlace]:
    return [n for n in nodes if n.resource_type != "seed"]


def schema_macro(colours: Mapping[str, Sequence[NodePlace]], pr: int, pr_nodes: Sequence[NodePlace]) -> Check:
    """Every model lands in ``<schema>__<COLOUR>`` for both colours and in a ``CI_PR_<pr>*`` schema."""
    problems: list[str] = []
    for colour, nodes in sorted(colours.items()):
        wrong = sorted(n.unique_id for n in _models(nodes) if base_schema(n.schema)[1] != colour)
        if wrong:
            problems.append(f"{len(wrong)} model(s) not in a __{colour} schema (e.g. {wrong[0]})")
    outside = sorted(n.unique_id for n in pr_nodes if pr_of_schema(n.schema.upper()) != pr)
    if outside:
        problems.append(f"{len(outside)} node(s) not in a CI_PR_{pr}[_<SCHEMA>] schema (e.g. {outside[0]})")
    count = len(_models(next(iter(colours.values()), ())))
    if problems:
        return Check("schema macro", "fail", "; ".join(problems), MACRO_FIX)
    return Check(
        "schema macro",
        "pass",
        f"{count} model(s) land in __BLUE/__GREEN schemas and every node in CI_PR_{pr}[_<SCHEMA>]",
    )


def consumer_schemas(configured: Sequence[str], nodes: Sequence[NodePlace]) -> Check:
    """Every configured consumer schema receives at least one model; every model's schema is published."""
    landed: dict[str, int] = {}
    for node in _models(nodes):
        base, colour = base_schema(node.schema)
        if colour is not None:
            landed[base] = landed.get(base, 0) + 1
    empty = [s for s in configured if s.upper() not in landed]
    unpublished = sorted(set(landed) - {s.upper() for s in configured})
    suggestion = f"layout.consumer_schemas: [{', '.join(sorted(landed))}]"
    if not landed and _models(nodes):  # the schema macro ignores the colour: no consumer schema can work
        return Check(
            "consumer schemas",
            "fail",
            "no model in a colour schema (<SCHEMA>__BLUE/__GREEN): the project's generate_schema_name ignores "
            "the pipelineops_colour var, so a deploy would publish nothing",
            MACRO_FIX,
        )
    if empty:
        return Check(
            "consumer schemas",
            "fail",
            f"no model lands in {', '.join(empty)}: nothing to publish there (a deploy would publish 0 views); "
            "models land in: "
            f"{', '.join(sorted(landed)) or 'none'}",
            f"in pipelineops.yml set {suggestion}",
        )
    counts = ", ".join(f"{s} {landed[s.upper()]}" for s in configured)
    if unpublished:
        return Check(
            "consumer schemas",
            "warn",
            f"{counts}; models in {', '.join(unpublished)} are built but never published to readers",
            f"add them if readers use them: {suggestion}",
        )
    return Check("consumer schemas", "pass", counts)


def targets(envs: Sequence[EnvFacts], profile: str, outputs: Mapping[str, str] | None) -> Check:
    """Every environment's dbt target exists in the profile, with the adapter of its engine."""
    if outputs is None:
        return Check(
            "dbt targets",
            "fail",
            f"profile {profile!r} not found in the profiles file",
            "run `pipelineops init` to write local-engine targets, or point dbt.profiles_dir at the "
            "folder holding profiles.yml",
        )
    problems: list[str] = []
    fixes: list[str] = []
    for env in envs:
        adapter = outputs.get(env.dbt_target)
        if adapter is None:
            problems.append(f"{env.name}: target {env.dbt_target!r} is not in profile {profile!r}")
            fixes.append(
                f"set environments.{env.name}.dbt_target to one of: {', '.join(sorted(outputs)) or 'none'}"
            )
        elif adapter != env.engine and "{{" not in adapter:  # a templated type is known only to dbt
            problems.append(
                f"{env.name}: target {env.dbt_target!r} is a {adapter} target, engine is {env.engine}"
            )
            fixes.append(f"point environments.{env.name}.dbt_target at a {env.engine} target")
    if problems:
        return Check("dbt targets", "fail", "; ".join(problems), "; ".join(fixes))
    return Check("dbt targets", "pass", ", ".join(f"{e.name} → {e.dbt_target}" for e in envs))


def defer(pr_env: EnvFacts, prod: EnvFacts) -> Check:
    """PR schemas are built next to production, so unchanged models defer to production's views."""
    if pr_env.engine == prod.engine and pr_env.warehouse == prod.warehouse:
        return Check(
            "PR defers to production", "pass", f"{pr_env.name} and {prod.name} share {prod.warehouse}"
        )
    fix = prod.share_fix.format(env=pr_env.name, of=prod.name)
    return Check(
        "PR defers to production",
        "fail",
        f"slim_ci.environment {pr_env.name} ({pr_env.warehouse}) is not the warehouse of "
        f"slim_ci.defer_to {prod.name} ({prod.warehouse}): PR schemas would be created where production is not",
        fix,
    )


def local_dir_variable(value: str | None, configured: Sequence[str]) -> Check:
    """``PIPELINEOPS_LOCAL_DIR`` set by hand: relative paths depend on the folder dbt runs in."""
    name = "PIPELINEOPS_LOCAL_DIR"
    if not value:
        return Check(name, "pass", "not set: the CLI passes each environment's absolute local_dir to dbt")
    if not value.startswith("/"):
        return Check(
            name,
            "warn",
            f"{value!r} is relative: dbt resolves it against the folder it runs in (the dbt project), "
            "not the repository root",
            f"export {name} as an absolute path, e.g. one of: {', '.join(configured)}",
        )
    if value.rstrip("/") not in configured:
        return Check(
            name,
            "warn",
            f"{value} is no configured environment's local_dir: dbt run by hand writes elsewhere",
            f"use one of: {', '.join(configured)}",
        )
    return Check(name, "pass", value)


def raw_data(raw_schema: str, relations: Sequence[str] | None, env: str) -> Check:
    """The raw layer the project reads exists in ``env`` (None: the warehouse is not reachable or new)."""
    if relations is None:
        return Check("raw data", "warn", f"{env}'s warehouse does not exist yet or is not reachable", "")
    if not relations:
        return Check(
            "raw data",
            "warn",
            f"{env} has no relation in schema {raw_schema}",
            "load the raw data first (see README: Adopting PipelineOps, step 4), or set layout.raw_schema",
        )
    return Check("raw data", "pass", f"{len(relations)} relation(s) in {raw_schema}")


def conclusion(checks: Sequence[Check]) -> Literal["success", "failure"]:
    return "failure" if any(c.status == "fail" for c in checks) else "success"


def refusal(stage: str, checks: Sequence[Check]) -> UserError | None:
    """One ``UserError`` naming every failed check and its fix, or None when none failed."""
    failed = [c for c in checks if c.status == "fail"]
    if not failed:
        return None
    first = failed[0]
    return UserError(
        f"{stage} refused before changing anything: {first.name}: {first.detail}",
        why="; ".join(f"{c.name}: {c.detail}" for c in failed[1:]),
        fix="\n".join(c.fix for c in failed) + "\n(`pipelineops doctor` shows every check)",
        runbook=RUNBOOK,
    )
