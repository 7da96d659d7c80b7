"""One sticky comment per stage on a pull request, found by its hidden marker (STYLE.md §5)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import github
from github import GithubException
from github.IssueComment import IssueComment

from pipelineops.github.client import api_error
from pipelineops.report.pr_comment import parse_marker

logger = logging.getLogger(__name__)

PERMISSION = "pull-requests: write"


def find_sticky_comments(
    gh: github.Github, repo_full_name: str, pr_number: int, *, marker: str
) -> list[IssueComment]:
    """Our comments for ``marker``, oldest first (every page is read)."""
    issue = gh.get_repo(repo_full_name).get_issue(pr_number)
    try:
        return [c for c in issue.get_comments() if parse_marker(c.body or "", marker) is not None]
    except GithubException as exc:
        raise api_error(
            exc, what=f"Listing comments on {repo_full_name}#{pr_number} failed", permission=PERMISSION
        ) from exc


def upsert_sticky_comment(
    gh: github.Github, repo_full_name: str, pr_number: int, *, marker: str, bodies: Sequence[str]
) -> list[int]:
    """Edit our parts in place, create the missing ones, delete surplus and duplicate parts; idempotent.

    Each body must start with its marker line (``render_pr_comment`` output). Returns the ids, part order.
    """
    for part, body in enumerate(bodies, start=1):
        found = parse_marker(body, marker)
        if found is None or found[0] != part:
            raise ValueError(f"body {part} does not start with the marker for {marker!r} part {part}")
    existing = find_sticky_comments(gh, repo_full_name, pr_number, marker=marker)
    by_part: dict[int, IssueComment] = {}
    surplus: list[IssueComment] = []
    for comment in existing:
        found = parse_marker(comment.body or "", marker)
        assert found is not None
        if found[0] <= len(bodies) and found[0] not in by_part:
            by_part[found[0]] = comment
        else:
            surplus.append(comment)
    issue = gh.get_repo(repo_full_name).get_issue(pr_number)
    ids: list[int] = []
    try:
        for part, body in enumerate(bodies, start=1):
            old = by_part.get(part)
            if old is None:
                created = issue.create_comment(body)
                logger.info("created comment %s part %d on #%d (%d)", marker, part, pr_number, created.id)
                ids.append(created.id)
                continue
            if old.body != body:
                old.edit(body)
                logger.info("edited comment %s part %d (%d)", marker, part, old.id)
            ids.append(old.id)
        for comment in surplus:
            comment.delete()
            logger.info("deleted surplus comment %s (%d)", marker, comment.id)
    except GithubException as exc:
        raise api_error(
            exc, what=f"Writing the PR comment on {repo_full_name}#{pr_number} failed", permission=PERMISSION
        ) from exc
    return ids
