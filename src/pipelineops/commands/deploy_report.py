"""What a deploy reports: its outcome, its StageReport, and the small inputs it parses (vars, deploy id)."""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from pipelineops.errors import UserError
from pipelineops.execute.deploy import DeployResult
from pipelineops.execute.operation import default_op_id
from pipelineops.plan import gates
from pipelineops.report.model import Conclusion, Section, StageReport


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


def deploy_report(r: DeployResult, duration: float) -> StageReport:
    gate_rows = tuple(
        (g.gate, g.subject, g.verdict, g.detail)
        for g in r.gate_results
        if g.verdict != "pass" or len(r.gate_results) < 40
    )
    fails = gates.failed(r.gate_results)
    conclusion: Conclusion = r.conclusion
    facts_rows = [
        ("environment", r.environment),
        ("deploy id", r.deploy_id),
        ("git sha", r.git_sha[:12]),
        ("colour", f"{r.live or '-'} → {r.idle}"),
    ]
    if r.cutover_ms is not None:
        facts_rows.append(("cutover", f"{r.cutover_ms} ms"))
    facts_rows += r.mode
    sections = [
        Section("Steps", ("step", "status", "seconds"), tuple((n, s, f"{e:.2f}") for n, s, e in r.steps))
    ]
    if gate_rows:
        sections.append(Section("Gates", ("gate", "subject", "verdict", "detail"), gate_rows))
    if fails:
        raise_text = "\n".join(f"{g.gate} {g.subject}: {g.detail}" for g in fails[:20])
        sections.append(Section("Why nothing was published", text=raise_text))
    published = conclusion == "success"
    return StageReport(
        stage=r.stage,
        conclusion=conclusion,
        title=r.title,
        facts=tuple(facts_rows),
        sections=tuple(sections),
        outputs=(
            ("deploy-id", r.deploy_id),
            ("colour", r.idle if published else (r.live or "")),
            ("previous-colour", r.live or ""),
            ("cutover-ms", str(r.cutover_ms or "")),
        ),
        duration_s=duration,
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
