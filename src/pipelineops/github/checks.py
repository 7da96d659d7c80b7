"""Check runs on the PR head SHA (not ``GITHUB_SHA``, which is the merge commit) (STYLE.md §5)."""

from __future__ import annotations

import logging

import github
from github import GithubException
from github.GithubObject import NotSet

from pipelineops.github.client import api_error
from pipelineops.report.model import Conclusion
from pipelineops.report.pr_comment import size

logger = logging.getLogger(__name__)

CHECK_TEXT_LIMIT = 65_535


def _clip(text: str) -> str:
    if size(text) <= CHECK_TEXT_LIMIT:
        return text
    note = "\n\n_… truncated, see the run for the full output._"
    return text.encode("utf-8")[: CHECK_TEXT_LIMIT - size(note)].decode("utf-8", errors="ignore") + note


def complete_check_run(
    gh: github.Github,
    repo_full_name: str,
    *,
    name: str,
    head_sha: str,
    conclusion: Conclusion,
    title: str,
    summary: str,
    details_url: str | None = None,
) -> int:
    """Create a completed check run named ``name`` on ``head_sha``; returns its id."""
    repo = gh.get_repo(repo_full_name)
    output: dict[str, str | list[dict[str, str | int]]] = {"title": title[:1000], "summary": _clip(summary)}
    try:
        run = repo.create_check_run(
            name,
            head_sha,
            status="completed",
            conclusion=conclusion,
            output=output,
            details_url=details_url or NotSet,
        )
    except GithubException as exc:
        raise api_error(exc, what=f"Creating check run {name!r} failed", permission="checks: write") from exc
    logger.info("check run %s on %s: %s (%d)", name, head_sha[:12], conclusion, run.id)
    return run.id
