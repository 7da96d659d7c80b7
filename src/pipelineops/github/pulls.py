"""Pull request states, for cleaning up PR schemas whose pull request is gone."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Literal

import github
from github import GithubException, UnknownObjectException

from pipelineops.github.client import api_error

logger = logging.getLogger(__name__)

PullState = Literal["open", "closed", "missing"]


def pull_states(gh: github.Github, repo_full_name: str, numbers: Iterable[int]) -> dict[int, PullState]:
    """``open``/``closed`` from the API; ``missing`` when GitHub answers 404 (deleted, or not a PR)."""
    repo = gh.get_repo(repo_full_name)
    states: dict[int, PullState] = {}
    for number in sorted(set(numbers)):
        try:
            state = repo.get_pull(number).state
        except UnknownObjectException:
            states[number] = "missing"
            continue
        except GithubException as exc:
            raise api_error(
                exc, what=f"Reading {repo_full_name}#{number} failed", permission="pull-requests: read"
            ) from exc
        states[number] = "open" if state == "open" else "closed"
    logger.debug("pull states for %s: %s", repo_full_name, states)
    return states
