"""The slim-ci report: the StageReport, its selection table, and the sticky PR comment it posts."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipelineops.config import Config
from pipelineops.errors import PipelineOpsError, UserError
from pipelineops.execute.impact import Narrowing
from pipelineops.github.client import DEFAULT_API_URL, make_client
from pipelineops.github.comments import upsert_sticky_comment
from pipelineops.github.event import Event
from pipelineops.plan import impact as impact_plan
from pipelineops.plan import slim_ci as plan
from pipelineops.plan.identifiers import pr_schema_base
from pipelineops.plan.steps import Plan, render_plan
from pipelineops.report import advice, wording
from pipelineops.report.model import Advice, Annotation, Conclusion, Failure, Section, StageReport
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
    outcomes: Sequence[plan.Outcome] = (),
    project_prefix: str = "",
    source_url: str | None = None,
    narrowing: Narrowing | None = None,
    impact_mode: str = "",
) -> StageReport:
    """``outcomes`` are dbt's node results: the counts are taken over the selection, so they add up to
    it; ``project_prefix`` (the dbt project's folder in the repository, e.g. ``dbt``) makes file paths
    repository-relative, and ``source_url`` links them."""
    schema = pr_schema_base(pr)
    modified = [e for e in explained if e.role == "modified"]
    downstream = [e for e in explained if e.role != "modified"]
    chosen = {e.unique_id for e in explained}
    deferred = sum(
        1 for uid, n in pr_facts.nodes.items() if n.resource_type in plan.BUILDABLE and uid not in chosen
    )
    counts = count_results(explained, outcomes or tally.failures)
    failed_ids = {o.unique_id for o in tally.failures}
    conclusion: Conclusion
    if dry_run:
        conclusion, title = "skipped", f"Dry run: would build {len(explained)} node(s) into {schema}*"
    elif not explained:
        conclusion, title = "skipped", "Skipped because this PR changes no dbt node: nothing to build"
    elif tally.failed or not build_ok:
        conclusion = "failure"
        skipped = f"; {counts['skipped']} skipped" if counts["skipped"] else ""
        title = f"{len(failed_ids)} of {len(explained)} selected node(s) failed in {schema}*{skipped}"
    else:
        conclusion = "success"
        title = f"{counts['built']} model(s) built and {counts['passed']} test(s) passed in {schema}*"
    facts: list[tuple[str, str]] = [
        *plan_.facts,
        ("selected", f"{len(explained)} ({len(modified)} modified, {len(downstream)} downstream)"),
        ("deferred", f"{deferred} unchanged model(s)/seed(s) read from production"),
    ]
    impact_fact = _impact_fact(impact_mode, narrowing)
    if impact_fact:
        facts.append(("impact", impact_fact))
    if not dry_run and explained:
        facts.append(
            ("results", ", ".join(f"{n} {kind}" for kind, n in counts.items() if n or kind in _ALWAYS))
        )
    facts = [(k, _hide_local_paths(v)) for k, v in facts]
    last_failure = {o.unique_id: o for o in tally.failures}  # dbt may report one node twice
    failures = tuple(_failure(o, pr_facts, project_prefix) for o in last_failure.values())
    rows = _selection_rows(explained)
    sections = []
    skipped_nodes = _skipped(explained, outcomes)
    if skipped_nodes and not dry_run:
        sections.append(
            Section(
                wording.SKIPPED_NODES.format(n=len(skipped_nodes)),
                ("node", "type"),
                tuple((e.name, e.resource_type) for e in skipped_nodes),
                collapsed=True,
            )
        )
    if rows:
        sections.append(
            Section(wording.SELECTED, ("node", "type", "role", "why"), rows, collapsed=bool(failures))
        )
    if spots:
        sections.append(
            Section(
                wording.BLIND_SPOTS,
                ("kind", "what", "affected nodes not built"),
                tuple(
                    (s.kind, s.message, ", ".join(u.split(".")[-1] for u in s.unselected) or "-")
                    for s in spots
                ),
            )
        )
    impact = narrowing.impact if narrowing else None
    if impact is not None:
        sections.append(_impact_section(impact))
        notes = [*notes, *impact.notes]
    if notes:
        sections.append(Section(wording.NOTES, text="\n".join(notes)))
    sections.append(Section(wording.PLAN, text=_hide_local_paths(render_plan(plan_)), collapsed=True))
    annotations = [Annotation("warning", s.message, title=f"slim-ci blind spot: {s.kind}") for s in spots]
    return StageReport(
        stage="slim-ci",
        conclusion=conclusion,
        title=title,
        facts=tuple(facts),
        sections=tuple(sections),
        annotations=tuple(annotations),
        failures=failures,
        advice=_advice(failures, project_prefix),
        source_url=source_url,
        outputs=(
            ("selected-count", str(len(explained))),
            ("failed-count", str(len(failed_ids))),
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
                **counts,
            },
            "failures": [f.__dict__ for f in tally.failures],
            "plan": [s.__dict__ for s in plan_.steps],
            **({"impact": _impact_data(impact_mode, narrowing)} if impact_mode else {}),
        },
    )


def _impact_fact(mode: str, narrowing: Narrowing | None) -> str:
    if not mode:
        return ""
    if mode == "nodes":
        return (
            "nodes: every state:modified+ node builds (--impact columns builds only what a change can affect)"
        )
    if narrowing is None:
        return "columns: not applied (no production manifest to compare with, or nothing selected)"
    if narrowing.impact is None:
        return narrowing.note
    return f"columns: {impact_plan.totals(narrowing.impact)}; analysis {narrowing.seconds:.1f} s"


def _impact_section(impact: impact_plan.Impact) -> Section:
    """Every model, seed and snapshot of state:modified+, built or skipped and why; tests summed up."""
    rows: list[tuple[str, ...]] = []
    tests = {True: 0, False: 0}
    for d in impact.decisions:
        if d.resource_type in impact_plan.TESTS:
            tests[d.built] += 1
            continue
        rows.append((d.name, d.resource_type, d.why))
    for built, n in ((True, tests[True]), (False, tests[False])):
        if n:
            why = "built: they test a built node" if built else "skipped: they test only skipped nodes"
            rows.append((f"{n} test(s)", "test", why))
    skipped = len(impact.skipped)
    return Section(
        wording.COLUMN_IMPACT.format(built=len(impact.built), before=impact.before, skipped=skipped),
        ("node", "type", "decision"),
        tuple(rows),
        collapsed=len(rows) > 20,
    )


def _impact_data(mode: str, narrowing: Narrowing | None) -> dict[str, object]:
    impact = narrowing.impact if narrowing else None
    return {
        "mode": mode,
        "narrowed": impact is not None,
        "before": impact.before if impact else None,
        "after": len(impact.built) if impact else None,
        "seconds": round(narrowing.seconds, 3) if narrowing else None,
        "note": narrowing.note if narrowing else "",
        "decisions": [d.__dict__ for d in impact.decisions] if impact else [],
        "notes": list(impact.notes) if impact else [],
    }


_ALWAYS = ("built", "passed", "failed", "skipped")
_LOCAL_STATE = re.compile(r"(--state\s+)(\S+)")


def _hide_local_paths(text: str) -> str:
    """A runner's temporary folder means nothing to the reader: name what it holds instead."""
    return _LOCAL_STATE.sub(r"\1<production manifest>", text)


def count_results(explained: tuple[plan.Explained, ...], outcomes: Sequence[plan.Outcome]) -> dict[str, int]:
    """Each selected node counted once, by its last result: the counts add up to the selection."""
    last = {o.unique_id: o.status for o in outcomes}
    counts = dict.fromkeys(("built", "passed", "warned", "failed", "skipped", "not run"), 0)
    for e in explained:
        status = last.get(e.unique_id)
        if status is None:
            counts["not run"] += 1
        elif status in ("error", "fail", "runtime error"):
            counts["failed"] += 1
        elif status == "skipped":
            counts["skipped"] += 1
        elif status == "warn":
            counts["warned"] += 1
        elif e.resource_type in plan.BUILDABLE:
            counts["built"] += 1
        else:
            counts["passed"] += 1
    return counts


def _skipped(explained: tuple[plan.Explained, ...], outcomes: Sequence[plan.Outcome]) -> list[plan.Explained]:
    last = {o.unique_id: o.status for o in outcomes}
    return [e for e in explained if last.get(e.unique_id) == "skipped"]


def _short(unique_id: str) -> str:
    parts = unique_id.split(".")
    return parts[2] if len(parts) >= 3 else unique_id


def _repo_path(path: str, prefix: str) -> str | None:
    if not path:
        return None
    return f"{prefix.strip('/')}/{path}" if prefix.strip("/.") else path


def _model_of(unique_id: str, facts: plan.ManifestFacts) -> str:
    node = facts.nodes.get(unique_id)
    if node is None or node.resource_type not in ("test", "unit_test"):
        return ""
    return next((_short(p) for p in node.parents if p.startswith(("model.", "seed.", "snapshot."))), "")


def _failure(o: plan.Outcome, facts: plan.ManifestFacts, prefix: str) -> Failure:
    node = facts.nodes.get(o.unique_id)
    rows = f"\n({o.failures} failing row(s))" if o.failures else ""
    return Failure(
        _short(o.unique_id),
        f"{o.status}: {o.message}".strip()[:2000] + rows,
        kind=node.resource_type if node else o.unique_id.split(".", 1)[0],
        model=_model_of(o.unique_id, facts),
        file=_repo_path(node.path, prefix) if node else None,
    )


def _advice(failures: tuple[Failure, ...], prefix: str) -> tuple[Advice, ...]:
    if not failures:
        return ()
    folder = prefix.strip("/") or "."
    names = " ".join(f.name for f in failures[:10])
    items = [
        Advice(
            "Reproduce it locally against your development target (the failing nodes, then what they feed):",
            command=f"cd {folder} && dbt build --select {' '.join(f.name + '+' for f in failures[:10])}",
        )
    ]
    tests = [f for f in failures if f.kind in ("test", "unit_test")]
    if tests:
        items.append(
            Advice(
                "A test's compiled SQL returns exactly its failing rows: print it and run it in your warehouse "
                "(the test is on the model named above; fix the model or the test's expectation).",
                command=f"cd {folder} && dbt compile --select {' '.join(f.name for f in tests[:10])}",
            )
        )
    items.append(Advice(f"Push the fix to this pull request: slim-ci builds {names} again."))
    return tuple(items)


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


def repo_links(config: Config, environ: Mapping[str, str]) -> tuple[str, str | None]:
    """``project_prefix`` (the dbt project's folder in the repository) and ``source_url`` (file links at
    the pull request's head commit, when the run is on GitHub) for ``build_report``."""
    try:
        prefix = config.project_dir.resolve().relative_to(config.root.resolve()).as_posix()
    except ValueError:
        prefix = ""
    sha = ""
    event_path = environ.get("GITHUB_EVENT_PATH", "")
    if event_path and Path(event_path).is_file():
        try:  # links are a convenience: a payload without a pull request (act, a push) links GITHUB_SHA
            sha = Event.from_path(event_path, event_name=environ.get("GITHUB_EVENT_NAME")).head_sha or ""
        except PipelineOpsError:
            sha = ""
    return prefix, advice.source_url(environ, sha or environ.get("GITHUB_SHA", ""))


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
