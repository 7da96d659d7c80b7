"""Branch protection as code: parse the desired state, diff it against the current one.

PURE. The spec (``.github/branch-protection.yml``, already loaded from YAML) and the current protection
(already read from the GitHub API by ``pipelineops.github.protect_branch``) come in as values; an ordered tuple
of changes, each with one human-readable line, comes out. ``--dry-run`` prints exactly these changes; a
real run applies the whole desired state in one request and then diffs again to verify it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from pipelineops.errors import UserError

logger = logging.getLogger(__name__)

SPEC_VERSION = 1
MAX_REQUIRED_REVIEWS = 6  # the GitHub API accepts 0..6 required approving reviews
RUNBOOK = "branch-protection.md"


@dataclass(frozen=True)
class StatusChecks:
    """Required status checks: the check names (job names) and whether the branch must be up to date."""

    contexts: tuple[str, ...]
    strict: bool = True


@dataclass(frozen=True)
class Reviews:
    """Required pull-request reviews."""

    required_approving_review_count: int = 1
    require_code_owner_reviews: bool = False
    dismiss_stale_reviews: bool = False
    require_last_push_approval: bool = False


@dataclass(frozen=True)
class Protection:
    """The protection of one branch. ``None`` sub-settings mean "not required"."""

    status_checks: StatusChecks | None = None
    reviews: Reviews | None = None
    enforce_admins: bool = False
    required_linear_history: bool = False
    allow_force_pushes: bool = False
    allow_deletions: bool = False
    required_conversation_resolution: bool = False


# What an unprotected branch allows: anyone with write access may force-push to it and delete it.
UNPROTECTED = Protection(allow_force_pushes=True, allow_deletions=True)


@dataclass(frozen=True)
class Change:
    """One setting that differs. ``before``/``after`` are display values; ``line`` says it in words."""

    setting: str
    before: str
    after: str
    line: str


@dataclass(frozen=True)
class ProtectionPlan:
    """Desired vs current protection of one branch, and the ordered changes between them."""

    repo: str
    branch: str
    desired: Protection
    current: Protection | None
    changes: tuple[Change, ...]

    @property
    def in_sync(self) -> bool:
        return not self.changes


# Settings in the order they are shown and compared, with the words used for each.
_LABELS: tuple[tuple[str, str], ...] = (
    ("required_status_checks", "require status checks to pass"),
    ("required_status_checks.strict", "require the branch to be up to date before merging"),
    ("required_status_checks.contexts", "required status checks"),
    ("required_pull_request_reviews", "require a pull request with reviews"),
    ("required_pull_request_reviews.required_approving_review_count", "required approving reviews"),
    ("required_pull_request_reviews.require_code_owner_reviews", "require review from code owners"),
    ("required_pull_request_reviews.dismiss_stale_reviews", "dismiss stale approvals on new commits"),
    ("required_pull_request_reviews.require_last_push_approval", "require approval of the most recent push"),
    ("enforce_admins", "apply the rules to administrators too"),
    ("required_linear_history", "require linear history"),
    ("allow_force_pushes", "allow force pushes"),
    ("allow_deletions", "allow deleting the branch"),
    ("required_conversation_resolution", "require conversation resolution before merging"),
)

Value = bool | int | tuple[str, ...] | None


def _flatten(p: Protection) -> dict[str, Value]:
    checks, reviews = p.status_checks, p.reviews
    return {
        "required_status_checks": checks is not None,
        "required_status_checks.strict": None if checks is None else checks.strict,
        "required_status_checks.contexts": None if checks is None else checks.contexts,
        "required_pull_request_reviews": reviews is not None,
        "required_pull_request_reviews.required_approving_review_count": (
            None if reviews is None else reviews.required_approving_review_count
        ),
        "required_pull_request_reviews.require_code_owner_reviews": (
            None if reviews is None else reviews.require_code_owner_reviews
        ),
        "required_pull_request_reviews.dismiss_stale_reviews": (
            None if reviews is None else reviews.dismiss_stale_reviews
        ),
        "required_pull_request_reviews.require_last_push_approval": (
            None if reviews is None else reviews.require_last_push_approval
        ),
        "enforce_admins": p.enforce_admins,
        "required_linear_history": p.required_linear_history,
        "allow_force_pushes": p.allow_force_pushes,
        "allow_deletions": p.allow_deletions,
        "required_conversation_resolution": p.required_conversation_resolution,
    }


def _show(value: Value) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    return ", ".join(value) if value else "(none)"


def _contexts_line(label: str, before: Value, after: Value) -> str:
    old = set(before) if isinstance(before, tuple) else set()
    new = set(after) if isinstance(after, tuple) else set()
    parts = []
    if added := sorted(new - old):
        parts.append("add " + ", ".join(f"`{c}`" for c in added))
    if removed := sorted(old - new):
        parts.append("remove " + ", ".join(f"`{c}`" for c in removed))
    return f"{label}: " + "; ".join(parts)


def diff(desired: Protection, current: Protection | None) -> tuple[Change, ...]:
    """The ordered changes that turn ``current`` (``None``: unprotected) into ``desired``."""
    changes: list[Change] = []
    if current is None:
        changes.append(Change("protection", "off", "on", "turn on branch protection"))
        current = UNPROTECTED
    want, have = _flatten(desired), _flatten(current)
    for key, label in _LABELS:
        before, after = have[key], want[key]
        if before == after:
            continue
        if key == "required_status_checks.contexts" and before is not None and after is not None:
            line = _contexts_line(label, before, after)
        else:
            line = f"{label}: {_show(before)} → {_show(after)}"
        changes.append(Change(key, _show(before), _show(after), line))
    return tuple(changes)


def protect_branch_plan(
    *, repo: str, branch: str, desired: Protection, current: Protection | None
) -> ProtectionPlan:
    """Desired vs current for one branch, as a plan the command prints (dry run) or applies."""
    return ProtectionPlan(repo, branch, desired, current, diff(desired, current))


def render_plan(plan: ProtectionPlan) -> str:
    """The plan as text, one line per change: what ``--dry-run`` prints."""
    head = f"Branch protection for {plan.repo}@{plan.branch}"
    if plan.in_sync:
        return f"{head}: already matches the desired state (0 changes)"
    lines = [f"{head}: {len(plan.changes)} change(s)"]
    lines += [f"  {i:>2}. {change.line}" for i, change in enumerate(plan.changes, 1)]
    return "\n".join(lines)


# --- the desired-state file -------------------------------------------------------------------------

_CHECK_KEYS = frozenset({"strict", "contexts"})
_REVIEW_KEYS = frozenset(
    {
        "required_approving_review_count",
        "require_code_owner_reviews",
        "dismiss_stale_reviews",
        "require_last_push_approval",
    }
)
_FLAG_KEYS = (
    "enforce_admins",
    "required_linear_history",
    "allow_force_pushes",
    "allow_deletions",
    "required_conversation_resolution",
)
_BRANCH_KEYS = frozenset({"required_status_checks", "required_pull_request_reviews", *_FLAG_KEYS})


def _spec_error(source: str, where: str, problem: str) -> UserError:
    return UserError(
        f"{source}: {where}: {problem}",
        why="the branch-protection file does not match its format",
        fix=f"edit {source}; the format is documented at the top of .github/branch-protection.yml",
        runbook=RUNBOOK,
    )


def _mapping(value: object, source: str, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _spec_error(source, where, f"expected a mapping, got {type(value).__name__}")
    return value


def _no_unknown_keys(value: Mapping[str, object], allowed: frozenset[str], source: str, where: str) -> None:
    if unknown := sorted(set(value) - allowed):
        raise _spec_error(
            source, where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _bool(value: Mapping[str, object], key: str, default: bool, source: str, where: str) -> bool:
    got = value.get(key, default)
    if not isinstance(got, bool):
        raise _spec_error(source, f"{where}.{key}", f"expected true or false, got {got!r}")
    return got


def _status_checks(value: object, source: str, where: str) -> StatusChecks | None:
    if value is None:
        return None
    checks = _mapping(value, source, where)
    _no_unknown_keys(checks, _CHECK_KEYS, source, where)
    contexts = checks.get("contexts", [])
    if not isinstance(contexts, list) or not all(isinstance(c, str) and c.strip() for c in contexts):
        raise _spec_error(source, f"{where}.contexts", "expected a list of non-empty check names")
    if len(set(contexts)) != len(contexts):
        raise _spec_error(source, f"{where}.contexts", "a check name is listed twice")
    return StatusChecks(contexts=tuple(sorted(contexts)), strict=_bool(checks, "strict", True, source, where))


def _reviews(value: object, source: str, where: str) -> Reviews | None:
    if value is None:
        return None
    reviews = _mapping(value, source, where)
    _no_unknown_keys(reviews, _REVIEW_KEYS, source, where)
    count = reviews.get("required_approving_review_count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_REQUIRED_REVIEWS:
        raise _spec_error(
            source,
            f"{where}.required_approving_review_count",
            f"expected a whole number from 0 to {MAX_REQUIRED_REVIEWS}, got {count!r}",
        )
    return Reviews(
        required_approving_review_count=count,
        require_code_owner_reviews=_bool(reviews, "require_code_owner_reviews", False, source, where),
        dismiss_stale_reviews=_bool(reviews, "dismiss_stale_reviews", False, source, where),
        require_last_push_approval=_bool(reviews, "require_last_push_approval", False, source, where),
    )


def parse_spec(data: object, *, branch: str, source: str) -> Protection:
    """The desired protection of ``branch`` from the loaded spec file (``source`` names it in errors)."""
    top = _mapping(data, source, "top level")
    _no_unknown_keys(top, frozenset({"version", "branches"}), source, "top level")
    if top.get("version") != SPEC_VERSION:
        raise _spec_error(source, "version", f"expected {SPEC_VERSION}, got {top.get('version')!r}")
    branches = _mapping(top.get("branches"), source, "branches")
    if branch not in branches:
        known = ", ".join(sorted(branches)) or "(none)"
        raise UserError(
            f"{source} has no entry for branch {branch!r}",
            why=f"the file describes these branches: {known}",
            fix=f"add `branches: {{{branch}: ...}}` to {source}, or pass one of the branches above",
            runbook=RUNBOOK,
        )
    where = f"branches.{branch}"
    spec = _mapping(branches[branch], source, where)
    _no_unknown_keys(spec, _BRANCH_KEYS, source, where)
    flags = {key: _bool(spec, key, False, source, where) for key in _FLAG_KEYS}
    return Protection(
        status_checks=_status_checks(
            spec.get("required_status_checks"), source, f"{where}.required_status_checks"
        ),
        reviews=_reviews(
            spec.get("required_pull_request_reviews"), source, f"{where}.required_pull_request_reviews"
        ),
        **flags,
    )
