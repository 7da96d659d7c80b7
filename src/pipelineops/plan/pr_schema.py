"""The schemas of one pull request and the plan that creates or drops them. Pure.

A PR builds into ``CI_PR_<n>`` and one ``CI_PR_<n>_<CUSTOM>`` per custom schema of the project (dbt's
``generate_schema_name`` with var ``pipelineops_pr``). Every name is checked twice before it reaches SQL:
as a plain identifier, and against the exact PR-schema pattern of *this* PR (``pr_of_schema``). A name
that fails either check stops the plan; nothing outside the pattern is ever created or dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pipelineops.errors import UserError
from pipelineops.plan.identifiers import check_identifier, pr_of_schema, pr_schema_base
from pipelineops.plan.sql import Dialect
from pipelineops.plan.sql.common import create_schema, drop_schema
from pipelineops.plan.steps import Plan, Step

log = logging.getLogger(__name__)

Action = Literal["create", "drop"]
LIKE_PATTERN = "CI_PR_%"
RUNBOOK = "pr-ci.md"


@dataclass(frozen=True)
class NodeSchema:
    """Where dbt builds one node when var ``pipelineops_pr`` is set."""

    unique_id: str
    schema: str


def is_schema_of(schema: str, pr: int) -> bool:
    """True only for ``CI_PR_<pr>`` and ``CI_PR_<pr>_<CUSTOM>`` (exactly; ``CI_PR_70`` is not PR 7's)."""
    return pr_of_schema(schema) == pr


def project_schemas(pr: int, nodes: Iterable[NodeSchema]) -> tuple[str, ...]:
    """``CI_PR_<pr>`` first, then the project's other PR schemas, sorted; refuses any foreign name."""
    base = pr_schema_base(pr)
    found: set[str] = set()
    for node in nodes:
        check_identifier(node.schema, field=f"schema of {node.unique_id}")
        if not is_schema_of(node.schema, pr):
            raise UserError(
                f"{node.unique_id} would be built in schema {node.schema!r}, not in a schema of PR {pr}",
                why="the project's generate_schema_name does not honour var pipelineops_pr, so a PR build "
                "would write outside CI_PR_<n>[_<CUSTOM>]",
                fix="make generate_schema_name return 'CI_PR_' ~ var('pipelineops_pr') (plus '_' ~ the "
                "custom schema, upper-cased) whenever that var is set (see dbt/macros/generate_schema_name.sql)",
                runbook=RUNBOOK,
            )
        found.add(node.schema.upper())
    return (base, *sorted(found - {base}))


def create_plan(
    pr: int, schemas: Iterable[str], *, present: Iterable[str], database: str, dialect: Dialect
) -> Plan:
    """One idempotent ``CREATE SCHEMA IF NOT EXISTS`` per schema of the PR."""
    wanted = _checked(pr, schemas)
    have = {s.upper() for s in present}
    steps = tuple(
        Step(
            name=f"create {schema}",
            why="already exists: no change" if schema in have else f"PR {pr} builds into it",
            sql=(create_schema(database, schema, dialect),),
        )
        for schema in wanted
    )
    new = sum(1 for s in wanted if s not in have)
    return Plan(
        "pr-schema",
        dialect,
        steps,
        facts=(("pull request", str(pr)), ("database", database), ("schemas", f"{len(wanted)} ({new} new)")),
    )


def drop_plan(pr: int, present: Iterable[str], *, database: str, dialect: Dialect) -> Plan:
    """``DROP SCHEMA IF EXISTS … CASCADE`` for every present schema of this PR, and for nothing else."""
    mine = sorted({s for s in present if is_schema_of(s, pr)}, key=lambda s: (len(s), s))
    for schema in mine:
        check_identifier(schema, field="schema")
    steps = tuple(
        Step(
            name=f"drop {schema}",
            why=f"schema of PR {pr}",
            sql=(drop_schema(database, schema, dialect),),
        )
        for schema in mine
    )
    return Plan(
        "pr-schema",
        dialect,
        steps,
        facts=(("pull request", str(pr)), ("database", database), ("schemas", str(len(mine)))),
    )


def _checked(pr: int, schemas: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for schema in schemas:
        check_identifier(schema, field="schema")
        if not is_schema_of(schema, pr):
            raise UserError(
                f"schema {schema!r} is not a schema of PR {pr}",
                fix=f"PR schemas are named {pr_schema_base(pr)} or {pr_schema_base(pr)}_<CUSTOM>",
                runbook=RUNBOOK,
            )
        if schema.upper() not in out:
            out.append(schema.upper())
    return tuple(out)
