"""A configured PyGithub client: retries 5xx and rate limits with backoff, works with GitHub Enterprise."""

from __future__ import annotations

import logging

import github
from github import Auth, GithubException, GithubRetry

from pipelineops.errors import PipelineOpsError, UserError

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
# urllib3 retries these by default; PATCH is added because every edit we make is idempotent.
RETRY_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PUT", "TRACE", "POST", "PATCH"})


def make_retry(
    *, retries: int = 5, backoff_factor: float = 1.0, secondary_rate_wait: float = 60.0
) -> GithubRetry:
    """5xx and rate-limited 403s are retried ``retries`` times, waiting ``backoff_factor * 2**n`` seconds."""
    return GithubRetry(
        total=retries,
        backoff_factor=backoff_factor,
        secondary_rate_wait=secondary_rate_wait,
        max_rate_limit_wait=900,
        allowed_methods=RETRY_METHODS,
        raise_on_status=False,
    )


def make_client(
    *,
    token: str,
    api_url: str = DEFAULT_API_URL,
    retries: int = 5,
    backoff_factor: float = 1.0,
    secondary_rate_wait: float = 60.0,
    seconds_between_requests: float = 0.25,
    seconds_between_writes: float = 1.0,
    per_page: int = 100,
    timeout: int = 30,
) -> github.Github:
    """A lazy client: objects are fetched when first read, so a sticky comment costs only the calls it needs.

    ``api_url`` is ``$GITHUB_API_URL``: ``https://api.github.com`` or ``https://<host>/api/v3`` on GHES.
    """
    if not token.strip():
        raise UserError(
            "No GitHub token was given.",
            why="the step's environment has no GITHUB_TOKEN",
            fix="env:\n  GITHUB_TOKEN: ${{ github.token }}",
            runbook="github-token.md",
        )
    logger.debug("GitHub client for %s (retries=%d)", api_url, retries)
    return github.Github(
        auth=Auth.Token(token),
        base_url=api_url.rstrip("/"),
        retry=make_retry(
            retries=retries, backoff_factor=backoff_factor, secondary_rate_wait=secondary_rate_wait
        ),
        seconds_between_requests=seconds_between_requests,
        seconds_between_writes=seconds_between_writes,
        per_page=per_page,
        timeout=timeout,
        lazy=True,
    )


def api_error(exc: GithubException, *, what: str, permission: str) -> PipelineOpsError:
    """Turn an API failure into our error: 401/403/404 are the user's to fix, the rest are outages."""
    message = exc.data.get("message", "") if isinstance(exc.data, dict) else str(exc.data)
    if exc.status in (401, 403, 404):
        return UserError(
            f"{what}: GitHub answered {exc.status} {message}".rstrip(),
            why="the token lacks a permission, or the repository or pull request is not visible to it "
            "(pull requests from forks get a read-only token)",
            fix=f"permissions:\n  {permission}",
            runbook="github-permissions.md",
        )
    return PipelineOpsError(f"{what}: GitHub answered {exc.status} {message}".rstrip())
