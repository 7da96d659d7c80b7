"""What a deploy reports: its outcome, its StageReport, and the small inputs it parses (vars, deploy id)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import yaml

from pipelineops.errors import UserError
from pipelineops.plan import gates
from pipelineops.report.model import Conclusion, Section, StageReport

if TYPE_CHECKING:
    from pipelineops.commands.bluegreen_swap import Deployer


@dataclass
class Outcome:
    steps: list[tuple[str, str, float]] = field(default_factory=list)
    gate_results: list[gates.GateResult] = field(default_factory=list)
    cutover_ms: int | None = None
    conclusion: str = "success"
    title: str = ""


def default_deploy_id(environ: Mapping[str, str], now: str, sha: str) -> str:
    """``gh-<run id>`` in GitHub Actions — a re-run attempt of the same workflow run resumes its own deploy
    (and its lock) — else the time and the short git sha."""
    run = environ.get("GITHUB_RUN_ID")
    if run:
        return f"gh-{run}"
    return f"{now}-{sha[:7]}"


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


def deploy_report(d: Deployer, o: Outcome, env_name: str, duration: float) -> StageReport:
    gate_rows = tuple(
        (r.gate, r.subject, r.verdict, r.detail)
        for r in o.gate_results
        if r.verdict != "pass" or len(o.gate_results) < 40
    )
    fails = gates.failed(o.gate_results)
    conclusion: Conclusion = "failure" if o.conclusion == "failure" else "success"
    facts_rows = [
        ("environment", env_name),
        ("deploy id", d.deploy_id),
        ("git sha", d.git_sha[:12]),
        ("colour", f"{d.live or '-'} → {d.idle}"),
    ]
    if o.cutover_ms is not None:
        facts_rows.append(("cutover", f"{o.cutover_ms} ms"))
    sections = [
        Section("Steps", ("step", "status", "seconds"), tuple((n, s, f"{e:.2f}") for n, s, e in o.steps))
    ]
    if gate_rows:
        sections.append(Section("Gates", ("gate", "subject", "verdict", "detail"), gate_rows))
    if fails:
        raise_text = "\n".join(f"{r.gate} {r.subject}: {r.detail}" for r in fails[:20])
        sections.append(Section("Why nothing was published", text=raise_text))
    return StageReport(
        stage=d.stage,
        conclusion=conclusion,
        title=o.title or "Deploy finished",
        facts=tuple(facts_rows),
        sections=tuple(sections),
        outputs=(
            ("deploy-id", d.deploy_id),
            ("colour", d.idle if conclusion == "success" else (d.live or "")),
            ("previous-colour", d.live or ""),
            ("cutover-ms", str(o.cutover_ms or "")),
        ),
        duration_s=duration,
        data={
            "deploy_id": d.deploy_id,
            "live_before": d.live,
            "idle": d.idle,
            "cutover_ms": o.cutover_ms,
            "gates": [r.__dict__ for r in o.gate_results],
            "steps": o.steps,
        },
    )
