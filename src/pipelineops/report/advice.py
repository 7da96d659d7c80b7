"""What to do next, computed from the DEPLOY_STATE journal, never templated. Pure.

"To undo" appears only when something was published, and names the exact build that is still intact;
a failed build that overwrote the idle colour says which earlier build can no longer be re-published.
Advice is phrased for where the reader is: in GitHub Actions a workflow to run (with its inputs and a
link), on a terminal the command to paste.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipelineops.plan import history
from pipelineops.report.model import Advice, Link

logger = logging.getLogger(__name__)

Rows = Sequence[Mapping[str, object]]
RUNBOOK = "runbooks/rollback.md"


@dataclass(frozen=True)
class Where:
    """The environment acted on, and the repository's Actions page when the reader is on GitHub."""

    env: str
    actions_url: str | None = None


def where_from(environ: Mapping[str, str], env: str) -> Where:
    """GitHub Actions (``GITHUB_ACTIONS=true`` with a repository) links its Actions page; else a terminal."""
    server = environ.get("GITHUB_SERVER_URL") or "https://github.com"
    repo = environ.get("GITHUB_REPOSITORY", "")
    on_github = environ.get("GITHUB_ACTIONS") == "true" and bool(repo)
    return Where(env, f"{server.rstrip('/')}/{repo}/actions" if on_github else None)


def source_url(environ: Mapping[str, str], sha: str) -> str | None:
    """``<server>/<repo>/blob/<sha>`` for file links, when the repository and commit are known."""
    repo = environ.get("GITHUB_REPOSITORY", "")
    if not repo or not sha:
        return None
    server = environ.get("GITHUB_SERVER_URL") or "https://github.com"
    return f"{server.rstrip('/')}/{repo}/blob/{sha}"


def build_name(pub: history.Publication) -> str:
    """``deploy d-1 (BLUE, git 1a2b3c4d5e6f)``: the build a publication serves."""
    sha = f", git {pub.git_sha[:12]}" if pub.git_sha else ""
    return f"deploy {pub.serves or pub.deploy_id} ({pub.colour}{sha})"


def rollback_target(rows: Rows) -> tuple[history.Publication | None, str]:
    """The build a rollback would re-publish now, or None and why not (the rules ``rollback`` applies)."""
    lin = history.lineage(rows)
    if len(lin.good) < 2:
        return None, "there is no earlier good build"
    target = lin.good[-2]
    rebuilt = history.rebuilt_since(rows, target)
    if rebuilt is not None:
        return None, (
            f"deploy {target.deploy_id}, the build before, was in {target.colour}, which deploy {rebuilt} "
            "has rebuilt since"
        )
    return target, ""


def rollback_advice(rows: Rows, where: Where) -> Advice:
    """How to put the previous good build back, or why no re-publish is possible now."""
    target, why_not = rollback_target(rows)
    if target is None:
        return Advice(
            f"No rollback is possible now: {why_not}. A single table can still be restored with time "
            f"travel ({RUNBOOK}).",
            level="warning",
        )
    what = f"re-publishes {build_name(target)}, which is still intact"
    if where.actions_url:
        return Advice(
            f"To undo, run the rollback workflow with environment {where.env} and target "
            f"{target.deploy_id}: it {what}.",
            link=Link("Open Actions", where.actions_url),
        )
    return Advice(
        f"To undo: this {what}.",
        command=f'pipelineops rollback --env {where.env} --to {target.deploy_id} --reason "..."',
    )


def deploy_advice(rows: Rows, *, deploy_id: str, published: bool, where: Where) -> tuple[Advice, ...]:
    """After a deploy: how to undo it when it published; else what still serves and what was lost."""
    if published:
        return (rollback_advice(rows, where),)
    advice: list[Advice] = []
    live = history.live(rows)
    if live is None:
        advice.append(Advice(f"Nothing was published: {where.env} has no live build yet."))
    else:
        advice.append(Advice(f"Production is unchanged: {build_name(live)} still serves {where.env}."))
    for pub in history.lineage(rows).good[:-1]:
        if history.rebuilt_since(rows, pub) == deploy_id:
            advice.append(
                Advice(
                    f"This deploy's build overwrote {pub.colour}, which held deploy {pub.deploy_id}: that "
                    "build can no longer be re-published, so the live build has no rollback target until "
                    f"the next successful deploy (time travel still restores single tables, {RUNBOOK}).",
                    level="warning",
                )
            )
    again = (
        "re-run the deploy workflow"
        if where.actions_url
        else f"run pipelineops bluegreen-swap --env {where.env} again"
    )
    advice.append(Advice(f"Fix what failed above on the main branch, then {again}."))
    return tuple(advice)


def undo_rollback_advice(*, removed: history.Publication | None, where: Where) -> Advice:
    """How to undo a rollback: deploy the build it removed again (a rollback never re-publishes it)."""
    if removed is None or not removed.git_sha:
        return Advice("To undo this rollback, deploy again: nothing newer was taken off production.")
    sha = removed.git_sha[:12]
    if where.actions_url:
        return Advice(
            f"To undo this rollback, deploy git {sha} again (the build of deploy {removed.deploy_id}) with "
            "the bluegreen-swap input allow-rolled-back: true; a rollback never re-publishes a build it "
            "removed.",
            link=Link("Open Actions", where.actions_url),
        )
    return Advice(
        f"To undo this rollback, deploy git {sha} again (the build of deploy {removed.deploy_id}); a "
        "rollback never re-publishes a build it removed:",
        command=f"git checkout {sha} && pipelineops bluegreen-swap --env {where.env} --allow-rolled-back",
    )
