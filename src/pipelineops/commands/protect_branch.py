"""``pipelineops protect-branch``: make a branch's protection match ``.github/branch-protection.yml``.

load the spec → read the current protection → plan the diff → (dry run: report it | apply, verify) → report.
The same plan is printed by ``--dry-run`` and applied by a real run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path

import yaml

from pipelineops.errors import UserError
from pipelineops.github.protect_branch import ProtectionClient
from pipelineops.plan.protect_branch import (
    RUNBOOK,
    Protection,
    ProtectionPlan,
    parse_spec,
    protect_branch_plan,
    render_plan,
)
from pipelineops.report.model import Conclusion, Section, StageReport

logger = logging.getLogger(__name__)

STAGE = "protect-branch"


def load_spec(spec_path: Path, branch: str) -> Protection:
    """The desired protection of ``branch`` from the YAML spec file."""
    try:
        text = spec_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(
            f"cannot read the branch-protection file {spec_path} ({exc.strerror})",
            fix="pass --spec with the path of the file (default: .github/branch-protection.yml)",
            runbook=RUNBOOK,
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(
            f"{spec_path} is not valid YAML",
            why=str(exc).replace("\n", " "),
            fix=f"fix the YAML syntax in {spec_path}",
            runbook=RUNBOOK,
        ) from exc
    return parse_spec(data, branch=branch, source=str(spec_path))


def _changes_section(plan: ProtectionPlan, title: str) -> Section:
    return Section(
        title=title,
        headers=("#", "setting", "now", "wanted", "change"),
        rows=tuple((str(i), c.setting, c.before, c.after, c.line) for i, c in enumerate(plan.changes, 1)),
    )


def _report(
    plan: ProtectionPlan,
    *,
    conclusion: Conclusion,
    title: str,
    mode: str,
    applied: bool,
    started: float,
    extra: tuple[Section, ...] = (),
) -> StageReport:
    sections = (_changes_section(plan, "Changes"),) if plan.changes else ()
    return StageReport(
        stage=STAGE,
        conclusion=conclusion,
        title=title,
        facts=(
            ("repository", plan.repo),
            ("branch", plan.branch),
            ("mode", mode),
            ("currently protected", "yes" if plan.current is not None else "no"),
            ("changes", str(len(plan.changes))),
        ),
        sections=(*sections, *extra, Section(title="Plan", text=render_plan(plan), collapsed=True)),
        outputs=(("changes", str(len(plan.changes))), ("applied", "true" if applied else "false")),
        duration_s=time.monotonic() - started,
        data={
            "repo": plan.repo,
            "branch": plan.branch,
            "dry_run": mode == "dry run",
            "applied": applied,
            "changes": [
                {"setting": c.setting, "before": c.before, "after": c.after, "line": c.line}
                for c in plan.changes
            ],
        },
    )


def run(
    *,
    repo: str,
    branch: str,
    spec_path: Path,
    token: str,
    api_url: str,
    dry_run: bool,
    throttle: bool = True,
) -> StageReport:
    """Bring ``repo``@``branch`` to the protection in ``spec_path``; ``dry_run`` changes nothing."""
    started = time.monotonic()
    if "/" not in repo.strip("/"):
        raise UserError(
            f"--repo must be owner/name, got {repo!r}",
            fix="pass --repo my-org/my-dbt-repo (in a workflow: GITHUB_REPOSITORY is set for you)",
        )
    desired = load_spec(spec_path, branch)
    if not token:
        raise UserError(
            "no GitHub token: protect-branch needs one to read and change branch protection",
            why="GITHUB_TOKEN is empty or not set",
            fix="export GITHUB_TOKEN=<token of a repository admin> (never pass tokens on the command line); "
            "the workflow GITHUB_TOKEN cannot administer branch protection",
            runbook=RUNBOOK,
        )
    client = ProtectionClient(token=token, api_url=api_url, repo=repo, throttle=throttle)
    plan = protect_branch_plan(repo=repo, branch=branch, desired=desired, current=client.read(branch))
    logger.info("%s", render_plan(plan))
    target = f"{repo}@{branch}"
    if plan.in_sync:
        return _report(
            plan,
            conclusion="success",
            title=f"{target} protection already matches {spec_path.name}",
            mode="dry run" if dry_run else "apply",
            applied=False,
            started=started,
        )
    if dry_run:
        return _report(
            plan,
            conclusion="neutral",
            title=f"dry run: {len(plan.changes)} change(s) would bring {target} to {spec_path.name}",
            mode="dry run",
            applied=False,
            started=started,
        )
    after = client.apply(branch, desired)
    drift = protect_branch_plan(repo=repo, branch=branch, desired=desired, current=after)
    if drift.changes:
        return _report(
            plan,
            conclusion="failure",
            title=f"GitHub accepted the update of {target} but reports {len(drift.changes)} setting(s) "
            "still different",
            mode="apply",
            applied=True,
            started=started,
            extra=(
                _changes_section(drift, "Still different after the update"),
                Section(
                    title="Likely why",
                    text="Some protections need a paid plan for private repositories, or an organisation "
                    "policy overrides them. Check the branch settings page of the repository.",
                ),
            ),
        )
    return _report(
        plan,
        conclusion="success",
        title=f"applied {len(plan.changes)} change(s) to the protection of {target}",
        mode="apply",
        applied=True,
        started=started,
    )


def stage(
    *,
    config: object,
    env_name: str,
    dry_run: bool,
    reporter: object,
    environ: Mapping[str, str],
    repo: str | None = None,
    branch: str = "main",
    spec: str = ".github/branch-protection.yml",
    api_url: str | None = None,
) -> StageReport:
    """The ``pipelineops protect-branch`` entry: defaults from the environment, the token only from it."""
    del config, env_name, reporter
    return run(
        repo=repo or environ.get("GITHUB_REPOSITORY", ""),
        branch=branch,
        spec_path=Path(spec),
        token=environ.get("GITHUB_TOKEN", ""),
        api_url=api_url or environ.get("GITHUB_API_URL") or "https://api.github.com",
        dry_run=dry_run,
    )
