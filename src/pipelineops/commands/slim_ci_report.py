"""The slim-ci report: the StageReport, its selection table, and the sticky PR comment it posts."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from pipelineops.errors import UserError
from pipelineops.github.client import DEFAULT_API_URL, make_client
from pipelineops.github.comments import upsert_sticky_comment
from pipelineops.github.event import Event
from pipelineops.plan import slim_ci as plan
from pipelineops.plan.identifiers import pr_schema_base
from pipelineops.plan.steps import Plan, render_plan
from pipelineops.report.model import Annotation, Conclusion, Section, StageReport
from pipelineops.report.pr_comment import render_pr_comment

log = logging.getLogger(__name__)
MARKER = "slim-ci"
RUNBOOK = "pr-ci.md"


def build_report(
    *,
    pr: int,
    plan_: Plan,
    explained: tuple[plan.Explained, ...],
    spots: tuple[plan.BlindSpot, ...],
    tally: plan.Tally,
    pr_facts: plan.ManifestFacts,
    dry_run: bool,
    build_ok: bool,
    notes: list[str],
    duration: float,
    run_url: str | None,
) -> StageReport:
    schema = pr_schema_base(pr)
    modified = [e for e in explained if e.role == "modified"]
    downstream = [e for e in explained if e.role != "modified"]
    chosen = {e.unique_id for e in explained}
    deferred = sum(
        1 for uid, n in pr_facts.nodes.items() if n.resource_type in plan.BUILDABLE and uid not in chosen
    )
    conclusion: Conclusion
    if dry_run:
        conclusion, title = "skipped", f"Dry run: would build {len(explained)} node(s) into {schema}*"
    elif not explained:
        conclusion, title = "skipped", "Skipped because this PR changes no dbt node: nothing to build"
    elif tally.failed or not build_ok:
        conclusion = "failure"
        title = f"{tally.failed} of {tally.selected} selected node(s) failed in {schema}*"
    else:
        conclusion = "success"
        title = f"{tally.built} model(s) built and {tally.passed} test(s) passed in {schema}*"
    facts = [
        *plan_.facts,
        ("selected", f"{len(explained)} ({len(modified)} modified, {len(downstream)} downstream)"),
        ("deferred", f"{deferred} unchanged model(s)/seed(s) read from production"),
    ]
    if not dry_run and explained:
        facts.append(
            (
                "results",
                f"{tally.built} built, {tally.passed} passed, {tally.warned} warned, "
                f"{tally.failed} failed, {tally.skipped} skipped",
            )
        )
    rows = _selection_rows(explained)
    sections = []
    if tally.failures:
        sections.append(
            Section(
                "Failures",
                ("node", "status", "failures", "message"),
                tuple(
                    (f.unique_id, f.status, "" if f.failures is None else str(f.failures), f.message[:500])
                    for f in tally.failures
                ),
            )
        )
    if rows:
        sections.append(Section("Selected, and why", ("node", "type", "role", "why"), rows))
    if spots:
        sections.append(
            Section(
                "Blind spots of state:modified",
                ("kind", "what", "affected nodes not built"),
                tuple(
                    (s.kind, s.message, ", ".join(u.split(".")[-1] for u in s.unselected) or "-")
                    for s in spots
                ),
            )
        )
    if notes:
        sections.append(Section("Notes", text="\n".join(notes)))
    sections.append(Section("Plan", text=render_plan(plan_), collapsed=True))
    annotations = [Annotation("warning", s.message, title=f"slim-ci blind spot: {s.kind}") for s in spots] + [
        Annotation(
            "error",
            f"{f.unique_id}: {f.status} {f.message}"[:900],
            title="slim-ci failure",
            file=_path_of(f.unique_id, pr_facts),
        )
        for f in tally.failures
    ]
    return StageReport(
        stage="slim-ci",
        conclusion=conclusion,
        title=title,
        facts=tuple(facts),
        sections=tuple(sections),
        annotations=tuple(annotations),
        outputs=(
            ("selected-count", str(len(explained))),
            ("failed-count", str(tally.failed)),
            ("schema", schema),
        ),
        duration_s=duration,
        run_url=run_url,
        data={
            "pr": pr,
            "schema": schema,
            "selected": [e.__dict__ for e in explained],
            "blind_spots": [s.__dict__ for s in spots],
            "counts": {
                "selected": len(explained),
                "modified": len(modified),
                "downstream": len(downstream),
                "deferred": deferred,
                "built": tally.built,
                "passed": tally.passed,
                "warned": tally.warned,
                "failed": tally.failed,
                "skipped": tally.skipped,
            },
            "failures": [f.__dict__ for f in tally.failures],
            "plan": [s.__dict__ for s in plan_.steps],
        },
    )


def _selection_rows(explained: tuple[plan.Explained, ...]) -> tuple[tuple[str, ...], ...]:
    """Every modified node and every downstream model; downstream tests summed up per ancestor."""
    rows: list[tuple[str, ...]] = []
    tests: dict[str, int] = {}
    for e in explained:
        if e.role != "modified" and e.resource_type in ("test", "unit_test"):
            tests[e.reasons[0]] = tests.get(e.reasons[0], 0) + 1
            continue
        rows.append((e.name, e.resource_type, e.role, "; ".join(e.reasons)))
    rows += [(f"{n} test(s)", "test", "downstream", why) for why, n in sorted(tests.items())]
    return tuple(rows)


def _path_of(unique_id: str, facts: plan.ManifestFacts) -> str | None:
    node = facts.nodes.get(unique_id)
    return node.path or None if node else None


def publish_comment(
    report: StageReport, *, pr: int, environ: Mapping[str, str], comment_file: str | None
) -> str:
    """Write the sticky comment body to ``comment_file``, or upsert it on the PR; say where it went."""
    bodies = render_pr_comment([report], marker=MARKER)
    if comment_file:
        path = Path(comment_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(bodies), encoding="utf-8")
        return f"written to {path}"
    token, repo = environ.get("GITHUB_TOKEN", ""), environ.get("GITHUB_REPOSITORY", "")
    event_path = environ.get("GITHUB_EVENT_PATH", "")
    if not (token and repo and event_path):
        return "not posted (needs GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_EVENT_PATH)"
    event = Event.from_path(event_path, event_name=environ.get("GITHUB_EVENT_NAME"))
    if event.pr_number is None:
        return f"not posted: the {event.name} event is not about a pull request"
    if event.pr_number != pr:
        raise UserError(
            f"--pr {pr} differs from the event's pull request #{event.pr_number}",
            fix="pass --pr from github.event.pull_request.number (through env:)",
            runbook=RUNBOOK,
        )
    gh = make_client(token=token, api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL)
    ids = upsert_sticky_comment(gh, repo, pr, marker=MARKER, bodies=bodies)
    return f"posted on {repo}#{pr} ({len(ids)} part(s))"
