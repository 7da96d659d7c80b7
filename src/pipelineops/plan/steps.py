"""The Plan: ordered Steps, each with what it runs and why. Dry-run prints it; execution walks it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pipelineops.plan.sql import Dialect

Action = Literal["sql", "dbt", "check", "note"]


@dataclass(frozen=True)
class Step:
    """One step. ``sql`` statements run in order (in one transaction when ``transactional``);
    ``dbt_args`` is a dbt command line; ``check`` and ``note`` steps are carried out by the command."""

    name: str
    why: str
    action: Action = "sql"
    sql: tuple[str, ...] = ()
    dbt_args: tuple[str, ...] = ()
    transactional: bool = False
    inverse: tuple[str, ...] = ()
    journal: bool = True


@dataclass(frozen=True)
class Plan:
    stage: str
    dialect: Dialect
    steps: tuple[Step, ...]
    facts: tuple[tuple[str, str], ...] = field(default=())

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def statement_count(self, name: str) -> int:
        return len(self.step(name).sql)


def render_plan(plan: Plan) -> str:
    """The plan as text: numbered steps, why, and the exact SQL or dbt command of each."""
    lines = [f"Plan for {plan.stage} on {plan.dialect.name} ({len(plan.steps)} steps)"]
    lines += [f"  {k}: {v}" for k, v in plan.facts]
    for i, step in enumerate(plan.steps, 1):
        txn = " [one transaction]" if step.transactional else ""
        lines.append(f"{i:>2}. {step.name}{txn} — {step.why}")
        if step.action == "dbt":
            lines.append("      dbt " + " ".join(step.dbt_args))
        if step.transactional:
            lines.append("      BEGIN;")
        lines += [f"      {stmt};" for stmt in step.sql]
        if step.transactional:
            lines.append("      COMMIT;")
    return "\n".join(lines)
