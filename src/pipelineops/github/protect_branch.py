"""Read and write branch protection through the GitHub REST API (PyGithub). The only I/O of protect-branch.

``GET /repos/{repo}/branches/{branch}/protection`` answers 404 "Branch not protected" for a branch without
protection: that is an empty current state (``None``), not an error. ``PUT`` on the same URL replaces the
whole protection, so applying always sends the complete desired state.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from github import GithubException
from github.Branch import Branch

from pipelineops.errors import UserError
from pipelineops.github.client import make_client
from pipelineops.plan.protect_branch import RUNBOOK, Protection, Reviews, StatusChecks

logger = logging.getLogger(__name__)

NOT_PROTECTED = "Branch not protected"
ADMIN_FIX = (
    "use a token that may administer the repository: a fine-grained token with "
    '"Administration: Read and write" on it, or a classic token with `repo` scope from a repository admin'
)


def _enabled(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key)
    return bool(value.get("enabled")) if isinstance(value, Mapping) else bool(value)


def protection_from_api(data: Mapping[str, Any]) -> Protection:
    """The API's protection document as a ``Protection`` (GitHub omits the parts that are off)."""
    checks = data.get("required_status_checks")
    status_checks = None
    if isinstance(checks, Mapping):
        names = [c["context"] for c in checks.get("checks") or ()] or list(checks.get("contexts") or ())
        status_checks = StatusChecks(contexts=tuple(sorted(set(names))), strict=bool(checks.get("strict")))
    reviews_data = data.get("required_pull_request_reviews")
    reviews = None
    if isinstance(reviews_data, Mapping):
        reviews = Reviews(
            required_approving_review_count=int(reviews_data.get("required_approving_review_count", 0)),
            require_code_owner_reviews=bool(reviews_data.get("require_code_owner_reviews")),
            dismiss_stale_reviews=bool(reviews_data.get("dismiss_stale_reviews")),
            require_last_push_approval=bool(reviews_data.get("require_last_push_approval")),
        )
    return Protection(
        status_checks=status_checks,
        reviews=reviews,
        enforce_admins=_enabled(data, "enforce_admins"),
        required_linear_history=_enabled(data, "required_linear_history"),
        allow_force_pushes=_enabled(data, "allow_force_pushes"),
        allow_deletions=_enabled(data, "allow_deletions"),
        required_conversation_resolution=_enabled(data, "required_conversation_resolution"),
    )


def _message(exc: GithubException) -> str:
    data = exc.data
    return str(data.get("message", "")) if isinstance(data, Mapping) else str(data or "")


class ProtectionClient:
    """Branch protection of one repository. ``throttle=False`` only for tests against a local server."""

    def __init__(self, *, token: str, api_url: str, repo: str, throttle: bool = True) -> None:
        if throttle:
            self._gh = make_client(token=token, api_url=api_url)
        else:
            self._gh = make_client(
                token=token, api_url=api_url, seconds_between_requests=0.0, seconds_between_writes=0.0
            )
        self._repo_name = repo
        self._repo = self._gh.get_repo(repo)

    def _error(self, exc: GithubException, doing: str, branch: str) -> UserError | None:
        """Our error for the answers a user can fix; ``None`` for the rest (a bug or an outage)."""
        message = _message(exc)
        if exc.status == 401:
            return UserError(
                f"GitHub rejected the token while {doing} ({message or 'Bad credentials'})",
                why="the token is wrong, expired or revoked",
                fix="set GITHUB_TOKEN to a valid token; " + ADMIN_FIX,
                runbook=RUNBOOK,
            )
        if exc.status == 403:
            return UserError(
                f"GitHub refused {doing} for {self._repo_name}@{branch} ({message or 'Forbidden'})",
                why="reading or changing branch protection needs admin rights on the repository "
                "(the default GITHUB_TOKEN of a workflow never has them)",
                fix=ADMIN_FIX,
                runbook=RUNBOOK,
            )
        if exc.status == 404:
            return UserError(
                f"GitHub found no {'branch ' + branch + ' in ' if 'Branch' in message else ''}"
                f"{self._repo_name} while {doing} ({message or 'Not Found'})",
                why="the repository or branch does not exist, or the token cannot see it",
                fix="check --repo and --branch; for a private repository the token needs access to it",
                runbook=RUNBOOK,
            )
        return None

    def _branch(self, branch: str) -> Branch:
        try:
            return self._repo.get_branch(branch)
        except GithubException as exc:
            if error := self._error(exc, "reading the branch", branch):
                raise error from exc
            raise

    def read(self, branch: str) -> Protection | None:
        """The current protection of ``branch``; ``None`` when it has none."""
        ref = self._branch(branch)
        try:
            protection = ref.get_protection()
        except GithubException as exc:
            if exc.status == 404 and _message(exc) == NOT_PROTECTED:
                logger.debug("%s@%s is not protected", self._repo_name, branch)
                return None
            if error := self._error(exc, "reading branch protection", branch):
                raise error from exc
            raise
        return protection_from_api(protection.raw_data)

    def apply(self, branch: str, desired: Protection) -> Protection:
        """Replace the protection of ``branch`` with ``desired``; return what GitHub now reports."""
        ref = self._branch(branch)
        kwargs: dict[str, Any] = {
            "enforce_admins": desired.enforce_admins,
            "required_linear_history": desired.required_linear_history,
            "allow_force_pushes": desired.allow_force_pushes,
            "allow_deletions": desired.allow_deletions,
            "required_conversation_resolution": desired.required_conversation_resolution,
        }
        if desired.status_checks is not None:
            kwargs["strict"] = desired.status_checks.strict
            kwargs["checks"] = list(desired.status_checks.contexts)
        if desired.reviews is not None:
            kwargs["required_approving_review_count"] = desired.reviews.required_approving_review_count
            kwargs["require_code_owner_reviews"] = desired.reviews.require_code_owner_reviews
            kwargs["dismiss_stale_reviews"] = desired.reviews.dismiss_stale_reviews
            kwargs["require_last_push_approval"] = desired.reviews.require_last_push_approval
        try:
            result = ref.edit_protection(**kwargs)
        except GithubException as exc:
            if error := self._error(exc, "updating branch protection", branch):
                raise error from exc
            raise
        return protection_from_api(result.raw_data)
