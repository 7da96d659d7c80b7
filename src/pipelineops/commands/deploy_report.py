"""What a deploy reports: its outcome, its StageReport, and the small inputs it parses (vars, deploy id)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from pipelineops.errors import UserError
from pipelineops.execute.deploy import DeployResult
from pipelineops.execute.operation import default_op_id
from pipelineops.plan import gates
from pipelineops.plan.manifest_facts import NodeFacts, read_manifest
from pipelineops.report import advice
from pipelineops.report.model import Conclusion, Failure, Section, StageReport


def default_deploy_id(environ: Mapping[str, str], now: str, sha: str) -> str:
    """``gh-<run id>`` in GitHub Actions — a re-run attempt of the same workflow run resumes its own deploy
    (and its lock) — else the time and the short git sha."""
    return default_op_id(environ, "", now, sha[:7])


def parse_vars(text: str) -> dict[str, object]:
    if not text.strip():
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(
            f"--vars is not valid YAML: {exc}", fix="pass a mapping, e.g. --vars '{key: value}'"
        ) from exc
    if not isinstance(data, dict):
        raise UserError("--vars must be a mapping", fix="pass a mapping, e.g. --vars '{key: value}'")
    if "pipelineops_colour" in data or "pipelineops_pr" in data:
        raise UserError(
            "--vars may not set pipelineops_colour or pipelineops_pr",
            fix="remove them: the deploy chooses the colour",
        )
    return data


def short_name(unique_id: str) -> str:
    """``not_null_orders_id`` from ``test.shop.not_null_orders_id.a1b2c3``; other subjects unchanged."""
    parts = unique_id.split(".")
    if len(parts) >= 3 and parts[0] in ("test", "model", "seed", "snapshot", "source", "unit_test"):
        return parts[2] if parts[0] != "source" else ".".join(parts[2:4])
    return unique_id


def gate_failures(
    results: tuple[gates.GateResult, ...], nodes: Mapping[str, NodeFacts], prefix: str
) -> tuple[Failure, ...]:
    """Each failing gate with its short name and, for a dbt node, its model and repository-relative file."""
    out = []
    for g in gates.failed(results):
        node = nodes.get(g.subject)
        model = ""
        if node is not None and node.resource_type in ("test", "unit_test"):
            model = next(
                (short_name(p) for p in node.parents if p.startswith(("model.", "seed.", "snapshot."))), ""
            )
        path = node.path if node is not None else ""
        file = (f"{prefix.strip('/')}/{path}" if prefix.strip("/.") else path) if path else None
        out.append(Failure(short_name(g.subject), g.detail, kind=f"{g.gate} gate", model=model, file=file))
    return tuple(out)


def gate_sections(results: tuple[gates.GateResult, ...]) -> list[Section]:
    """Warnings as one folded line with their count; passing gates counted (listed, folded, up to 200)."""
    sections = []
    warns = [g for g in results if g.verdict == "warn"]
    passes = [g for g in results if g.verdict == "pass"]
    headers = ("gate", "subject", "detail")
    if warns:
        sections.append(
            Section(
                f"⚠️ {len(warns)} warning(s): tests with severity warn and row-count drift",
                headers,
                tuple((g.gate, short_name(g.subject), g.detail) for g in warns),
                collapsed=True,
            )
        )
    if passes:
        shown = passes[:200]
        more = f"… and {len(passes) - len(shown)} more" if len(passes) > len(shown) else ""
        sections.append(
            Section(
                f"✅ {len(passes)} gate(s) passed",
                headers,
                tuple((g.gate, short_name(g.subject), g.detail) for g in shown),
                text=more,
                collapsed=True,
            )
        )
    return sections


def deploy_report(
    r: DeployResult,
    duration: float,
    *,
    rows: Sequence[Mapping[str, object]] = (),
    environ: Mapping[str, str] | None = None,
    manifest: Mapping[str, object] | None = None,
    project_prefix: str = "",
) -> StageReport:
    """The deploy's report; ``rows`` (the journal after it) compute the advice, ``environ`` the links,
    ``manifest`` (the build's) names each failing test's model and file under ``project_prefix``."""
    environ = environ or {}
    conclusion: Conclusion = r.conclusion
    published = conclusion == "success"
    nodes = read_manifest(manifest).nodes if manifest else {}
    failures = gate_failures(r.gate_results, nodes, project_prefix)
    failed_steps = [name for name, status, _ in r.steps if status == "failed"]
    if conclusion == "failure" and not failures:
        failures = tuple(Failure(name, r.title, kind="step") for name in failed_steps) or (
            Failure(r.stage, r.title),
        )
    where = advice.where_from(environ, r.environment)
    facts_rows: list[tuple[str, str]] = [
        ("environment", r.environment),
        ("deploy id", r.deploy_id),
        ("git sha", r.git_sha[:12]),
        (
            "colour",
            f"{r.live or '-'} → {r.idle}" if published else f"{r.live or '-'} stays live ({r.idle} built)",
        ),
    ]
    if r.cutover_ms is not None:
        facts_rows.append(("cutover", f"{r.cutover_ms} ms"))
    facts_rows += r.mode
    steps = tuple((n, s, f"{e:.2f}") for n, s, e in r.steps)
    sections = [
        *gate_sections(r.gate_results),
        Section("Steps", ("step", "status", "seconds"), steps, collapsed=True),
    ]
    return StageReport(
        stage=r.stage,
        conclusion=conclusion,
        title=r.title,
        facts=tuple(facts_rows),
        sections=tuple(sections),
        failures=failures if conclusion == "failure" else (),
        advice=advice.deploy_advice(rows, deploy_id=r.deploy_id, published=published, where=where)
        if conclusion != "neutral"
        else (),
        outputs=(
            ("deploy-id", r.deploy_id),
            ("colour", r.idle if published else (r.live or "")),
            ("previous-colour", r.live or ""),
            ("cutover-ms", str(r.cutover_ms or "")),
        ),
        duration_s=duration,
        run_url=_run_url(environ),
        source_url=advice.source_url(environ, r.git_sha),
        data={
            "deploy_id": r.deploy_id,
            "live_before": r.live,
            "idle": r.idle,
            "cutover_ms": r.cutover_ms,
            "gates": [g.__dict__ for g in r.gate_results],
            "steps": r.steps,
            "mode": dict(r.mode),
        },
    )


def project_prefix(root: Path, project_dir: Path) -> str:
    """The dbt project's folder relative to the repository root (``dbt``), or "" when it is the root."""
    try:
        return project_dir.resolve().relative_to(root.resolve()).as_posix().strip(".")
    except ValueError:
        return ""


def _run_url(environ: Mapping[str, str]) -> str | None:
    server, repo, run = (
        environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None
