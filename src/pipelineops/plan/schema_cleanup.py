"""Which PR schemas to drop, and why. Pure: the warehouse listing, PR states and ``now`` come in.

A schema is a candidate only when its name matches ``CI_PR_<n>[_<CUSTOM>]`` exactly (``pr_of_schema``);
everything else is reported as ignored and never dropped. A candidate is dropped when its pull request is
closed or missing on GitHub, or when it is older than ``cleanup.max_age_hours`` (an open PR's schemas are
rebuilt by its next slim-ci run). A schema whose PR state is unknown (GitHub not asked) and whose age is
unknown is kept: the sweep drops only what it can justify.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pipelineops.plan.identifiers import check_identifier, pr_of_schema
from pipelineops.plan.sql import Dialect
from pipelineops.plan.sql.common import drop_schema
from pipelineops.plan.steps import Plan, Step

log = logging.getLogger(__name__)

PullState = Literal["open", "closed", "missing", "unknown"]
Verdict = Literal["drop", "keep"]


@dataclass(frozen=True)
class SchemaFact:
    name: str
    created_on: datetime | None = None


@dataclass(frozen=True)
class Decision:
    schema: str
    pr: int
    verdict: Verdict
    reason: str
    pr_state: PullState = "unknown"
    age_hours: float | None = None


def pr_numbers(schemas: Iterable[SchemaFact]) -> tuple[int, ...]:
    """The PRs that own at least one of ``schemas`` (names that do not match exactly are skipped)."""
    return tuple(sorted({n for s in schemas if (n := pr_of_schema(s.name)) is not None}))


def ignored(schemas: Iterable[SchemaFact]) -> tuple[str, ...]:
    """Listed names that are not PR schemas (e.g. ``CI_PR_7-x`` or ``CI_PRX``): never touched."""
    return tuple(sorted(s.name for s in schemas if pr_of_schema(s.name) is None))


def _age_hours(created_on: datetime | None, now: datetime) -> float | None:
    if created_on is None:
        return None
    return (now - created_on) / timedelta(hours=1)


def sweep_decisions(
    schemas: Sequence[SchemaFact],
    states: Mapping[int, PullState],
    *,
    now: datetime,
    max_age_hours: int,
) -> tuple[Decision, ...]:
    """One decision per PR schema, sorted by PR then name."""
    out: list[Decision] = []
    for fact in schemas:
        pr = pr_of_schema(fact.name)
        if pr is None:
            continue
        state = states.get(pr, "unknown")
        age = _age_hours(fact.created_on, now)
        too_old = age is not None and age > max_age_hours
        if state in ("closed", "missing"):
            verdict: Verdict = "drop"
            reason = f"PR #{pr} is {state}" if state == "closed" else f"PR #{pr} does not exist on GitHub"
        elif too_old:
            verdict = "drop"
            reason = f"older than cleanup.max_age_hours ({age:.0f} h > {max_age_hours} h)"
        else:
            verdict = "keep"
            reason = (
                f"PR #{pr} is open" if state == "open" else f"PR #{pr} state unknown (GitHub not asked)"
            ) + (f", {age:.0f} h old" if age is not None else ", age unknown")
        out.append(Decision(fact.name, pr, verdict, reason, state, age))
    return tuple(sorted(out, key=lambda d: (d.pr, d.schema)))


def pr_decisions(pr: int, schemas: Sequence[SchemaFact]) -> tuple[Decision, ...]:
    """``--pr N``: every schema of that PR is dropped (its pull request was closed)."""
    return tuple(
        Decision(s.name, pr, "drop", f"--pr {pr}: the pull request was closed")
        for s in sorted(schemas, key=lambda s: s.name)
        if pr_of_schema(s.name) == pr
    )


def cleanup_plan(decisions: Sequence[Decision], *, database: str, dialect: Dialect, mode: str) -> Plan:
    """``DROP SCHEMA IF EXISTS … CASCADE`` for each ``drop`` decision, in decision order."""
    steps: list[Step] = []
    for d in decisions:
        if d.verdict != "drop":
            continue
        if pr_of_schema(d.schema) != d.pr:  # defence in depth: a decision for a foreign name is a bug
            raise ValueError(f"refusing to drop {d.schema!r}: not a schema of PR {d.pr}")
        check_identifier(d.schema, field="schema")
        steps.append(Step(f"drop {d.schema}", d.reason, sql=(drop_schema(database, d.schema, dialect),)))
    kept = sum(1 for d in decisions if d.verdict == "keep")
    return Plan(
        "schema-cleanup",
        dialect,
        tuple(steps),
        facts=(("mode", mode), ("database", database), ("drop", str(len(steps))), ("keep", str(kept))),
    )
