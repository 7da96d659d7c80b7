"""What ``parity-check`` reports: the dry-run plan, and the verdict with its findings per relation."""

from __future__ import annotations

import time
from dataclasses import asdict

from pipelineops.config import EnvironmentConfig
from pipelineops.engines.factory import warehouse
from pipelineops.plan import parity_check
from pipelineops.plan.steps import Plan, render_plan
from pipelineops.report.model import Advice, Annotation, Conclusion, Section, StageReport


def where(env: EnvironmentConfig) -> str:
    return warehouse(env).label


def _settings(
    wanted: tuple[str, ...], pct: float, strict: bool, plans: tuple[Plan, ...]
) -> list[tuple[str, str]]:
    grants = [p.step("grants") for p in plans]
    if all(g.sql for g in grants):
        grant_text = "compared: SHOW GRANTS ON SCHEMA for the reader roles"
    else:
        grant_text = next(g.why for g in grants if not g.sql).removeprefix("grants: ")
    return [
        ("schemas", ", ".join(wanted)),
        ("row-count threshold", f"{pct:g}%" + (" (strict: every warning fails)" if strict else "")),
        ("grants", grant_text),
    ]


def dry_run_report(
    envs: tuple[EnvironmentConfig, ...],
    plans: tuple[Plan, ...],
    wanted: tuple[str, ...],
    pct: float,
    strict: bool,
    started: float,
) -> StageReport:
    facts = [
        (
            env.name,
            where(env)
            + (" (exists)" if warehouse(env).local_catalog is not None else " (not connected in a dry run)"),
        )
        for env in envs
    ]
    return StageReport(
        stage=parity_check.STAGE,
        conclusion="skipped",
        title=f"Dry run: would compare {envs[0].name} with {envs[1].name} (nothing read)",
        facts=(*facts, *_settings(wanted, pct, strict, plans)),
        sections=tuple(
            Section(f"Queries on {env.name}", text=render_plan(p)) for env, p in zip(envs, plans, strict=True)
        ),
        outputs=(("finding-count", "0"), ("fail-count", "0"), ("warn-count", "0")),
        duration_s=time.monotonic() - started,
        data={
            "environment": envs[0].name,
            "against": envs[1].name,
            "schemas": list(wanted),
            "sql": {
                env.name: [s for st in p.steps for s in st.sql] for env, p in zip(envs, plans, strict=True)
            },
        },
    )


def _relation_rows(
    checked: parity_check.Snapshot, reference: parity_check.Snapshot
) -> tuple[tuple[str, ...], ...]:
    mine = {r.key: r for r in checked.relations}
    theirs = {r.key: r for r in reference.relations}
    rows = []
    for key in sorted(mine.keys() | theirs.keys()):
        a, b = mine.get(key), theirs.get(key)
        either = a or b
        assert either is not None
        rows.append(
            (
                either.label,
                str(a.rows) if a else "-",
                str(b.rows) if b else "-",
                str(len(a.columns)) if a else "-",
                str(len(b.columns)) if b else "-",
            )
        )
    return tuple(rows)


def report(
    envs: tuple[EnvironmentConfig, ...],
    plans: tuple[Plan, ...],
    checked: parity_check.Snapshot,
    reference: parity_check.Snapshot,
    findings: tuple[parity_check.Finding, ...],
    wanted: tuple[str, ...],
    pct: float,
    strict: bool,
    started: float,
) -> StageReport:
    fails, warns = parity_check.count(findings, "fail"), parity_check.count(findings, "warn")
    env, ref = checked.environment, reference.environment
    conclusion: Conclusion = "failure" if fails else ("neutral" if warns else "success")
    if fails:
        title = f"{env} differs from {ref}: {fails} failing and {warns} warning finding(s)"
    elif warns:
        title = f"{env} matches {ref} in shape, with {warns} warning(s)"
    else:
        title = f"{env} matches {ref}: {len(reference.relations)} relations in {', '.join(wanted)}"
    facts = [
        (s.environment, f"{where(e)}: {len(s.relations)} relations in {len(s.schemas)} schema(s)")
        for s, e in zip((checked, reference), envs, strict=True)
    ]
    sections = [
        Section(
            "Findings",
            ("severity", "kind", "subject", "detail"),
            tuple((f.severity, f.kind, f.subject, f.detail) for f in findings),
        )
        if findings
        else Section("Findings", text=f"No drift between {env} and {ref}."),
        Section(
            "Relations",
            ("relation", f"{env} rows", f"{ref} rows", f"{env} cols", f"{ref} cols"),
            _relation_rows(checked, reference),
            collapsed=True,
        ),
    ]
    return StageReport(
        stage=parity_check.STAGE,
        conclusion=conclusion,
        title=title,
        advice=(Advice(f"See runbooks/{parity_check.RUNBOOK} for each kind of finding."),) if fails else (),
        facts=(*facts, *_settings(wanted, pct, strict, plans)),
        sections=tuple(sections),
        annotations=tuple(
            Annotation("error" if f.severity == "fail" else "warning", f.line, title=f"parity {env} vs {ref}")
            for f in findings
        ),
        outputs=(
            ("finding-count", str(len(findings))),
            ("fail-count", str(fails)),
            ("warn-count", str(warns)),
        ),
        duration_s=time.monotonic() - started,
        data={
            "environment": env,
            "against": ref,
            "schemas": list(wanted),
            "row_count_pct": pct,
            "strict": strict,
            "findings": [asdict(f) for f in findings],
            "snapshots": {s.environment: asdict(s) for s in (checked, reference)},
        },
    )
