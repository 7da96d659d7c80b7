"""The pure branch-protection diff and the desired-state file parser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pipelineops.errors import UserError
from pipelineops.plan.protect_branch import (
    UNPROTECTED,
    Protection,
    Reviews,
    StatusChecks,
    diff,
    parse_spec,
    protect_branch_plan,
    render_plan,
)

REPO_SPEC = Path(__file__).resolve().parents[3] / ".github" / "branch-protection.yml"

DESIRED = Protection(
    status_checks=StatusChecks(contexts=("lint", "test"), strict=True),
    reviews=Reviews(
        required_approving_review_count=1,
        require_code_owner_reviews=True,
        dismiss_stale_reviews=True,
    ),
    enforce_admins=True,
    required_linear_history=True,
    allow_force_pushes=False,
    allow_deletions=False,
    required_conversation_resolution=True,
)


def _spec(**branch: Any) -> dict[str, Any]:
    return {"version": 1, "branches": {"main": branch}}


def test_diff_of_identical_states_is_empty() -> None:
    assert diff(DESIRED, DESIRED) == ()
    plan = protect_branch_plan(repo="o/r", branch="main", desired=DESIRED, current=DESIRED)
    assert plan.in_sync
    assert (
        render_plan(plan) == "Branch protection for o/r@main: already matches the desired state (0 changes)"
    )


def test_unprotected_branch_gets_every_setting_in_a_fixed_order() -> None:
    changes = diff(DESIRED, None)
    assert [c.setting for c in changes] == [
        "protection",
        "required_status_checks",
        "required_status_checks.strict",
        "required_status_checks.contexts",
        "required_pull_request_reviews",
        "required_pull_request_reviews.required_approving_review_count",
        "required_pull_request_reviews.require_code_owner_reviews",
        "required_pull_request_reviews.dismiss_stale_reviews",
        # "not set" → "no" is shown too: the desired state is explicit about every setting
        "required_pull_request_reviews.require_last_push_approval",
        "enforce_admins",
        "required_linear_history",
        "allow_force_pushes",
        "allow_deletions",
        "required_conversation_resolution",
    ]
    lines = [c.line for c in changes]
    assert lines[0] == "turn on branch protection"
    assert "required status checks: not set → lint, test" in lines
    assert "allow force pushes: yes → no" in lines
    assert "required approving reviews: not set → 1" in lines


def test_unprotected_means_force_pushes_and_deletions_allowed() -> None:
    assert UNPROTECTED.allow_force_pushes and UNPROTECTED.allow_deletions
    assert UNPROTECTED.status_checks is None and UNPROTECTED.reviews is None


def test_context_changes_name_the_added_and_removed_checks() -> None:
    current = Protection(
        status_checks=StatusChecks(contexts=("old-check", "test"), strict=True),
        reviews=DESIRED.reviews,
        enforce_admins=True,
        required_linear_history=True,
        required_conversation_resolution=True,
    )
    (change,) = diff(DESIRED, current)
    assert change.setting == "required_status_checks.contexts"
    assert change.line == "required status checks: add `lint`; remove `old-check`"
    assert (change.before, change.after) == ("old-check, test", "lint, test")


def test_only_added_or_only_removed_checks() -> None:
    base = Protection(status_checks=StatusChecks(contexts=("a",)))
    more = Protection(status_checks=StatusChecks(contexts=("a", "b")))
    none = Protection(status_checks=StatusChecks(contexts=()))
    assert diff(more, base)[0].line == "required status checks: add `b`"
    assert diff(none, base)[0].line == "required status checks: remove `a`"
    assert diff(none, base)[0].after == "(none)"


def test_dropping_a_requirement_shows_it_as_no_longer_set() -> None:
    current = Protection(status_checks=StatusChecks(contexts=("x",), strict=False))
    changes = diff(Protection(), current)
    assert [c.line for c in changes] == [
        "require status checks to pass: yes → no",
        "require the branch to be up to date before merging: no → not set",
        "required status checks: x → not set",
    ]


def test_review_count_change_is_one_line() -> None:
    current = Protection(reviews=Reviews(required_approving_review_count=2))
    desired = Protection(reviews=Reviews(required_approving_review_count=1))
    assert [c.line for c in diff(desired, current)] == ["required approving reviews: 2 → 1"]


def test_render_plan_numbers_the_changes() -> None:
    plan = protect_branch_plan(
        repo="o/r", branch="main", desired=Protection(enforce_admins=True), current=Protection()
    )
    assert render_plan(plan) == (
        "Branch protection for o/r@main: 1 change(s)\n   1. apply the rules to administrators too: no → yes"
    )


def test_parse_full_spec() -> None:
    spec = _spec(
        required_status_checks={"strict": True, "contexts": ["test", "lint"]},
        required_pull_request_reviews={
            "required_approving_review_count": 1,
            "require_code_owner_reviews": True,
            "dismiss_stale_reviews": True,
        },
        enforce_admins=True,
        required_linear_history=True,
        allow_force_pushes=False,
        allow_deletions=False,
        required_conversation_resolution=True,
    )
    assert parse_spec(spec, branch="main", source="bp.yml") == DESIRED


def test_parse_defaults_are_off_and_strict() -> None:
    got = parse_spec(
        _spec(required_status_checks={"contexts": ["a"]}, required_pull_request_reviews={}),
        branch="main",
        source="s",
    )
    assert got == Protection(status_checks=StatusChecks(contexts=("a",), strict=True), reviews=Reviews())
    empty = _spec(required_status_checks=None, required_pull_request_reviews=None)
    assert parse_spec(empty, branch="main", source="s") == Protection()


def test_repository_spec_parses_and_meets_the_policy() -> None:
    data = yaml.safe_load(REPO_SPEC.read_text(encoding="utf-8"))
    main = parse_spec(data, branch="main", source=str(REPO_SPEC))
    assert main.status_checks is not None and main.status_checks.contexts
    assert main.reviews is not None and main.reviews.required_approving_review_count >= 1
    assert main.reviews.require_code_owner_reviews and main.reviews.dismiss_stale_reviews
    assert main.enforce_admins and main.required_linear_history and main.required_conversation_resolution
    assert not main.allow_force_pushes and not main.allow_deletions


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([], "top level: expected a mapping, got list"),
        ({"version": 1, "branches": {}, "extra": 1}, "top level: unknown key(s) extra"),
        ({"version": 2, "branches": {}}, "version: expected 1, got 2"),
        ({"version": 1, "branches": None}, "branches: expected a mapping, got NoneType"),
        ({"version": 1, "branches": {1: {}}}, "branches: expected a mapping, got dict"),
        (_spec(enforce_admin=True), "branches.main: unknown key(s) enforce_admin"),
        (_spec(enforce_admins="yes"), "branches.main.enforce_admins: expected true or false, got 'yes'"),
        (_spec(required_status_checks=["a"]), "branches.main.required_status_checks: expected a mapping"),
        (_spec(required_status_checks={"context": []}), "unknown key(s) context; allowed: contexts, strict"),
        (
            _spec(required_status_checks={"contexts": "lint"}),
            "contexts: expected a list of non-empty check names",
        ),
        (
            _spec(required_status_checks={"contexts": [" "]}),
            "contexts: expected a list of non-empty check names",
        ),
        (_spec(required_status_checks={"contexts": ["a", "a"]}), "contexts: a check name is listed twice"),
        (
            _spec(required_status_checks={"contexts": [], "strict": 1}),
            "strict: expected true or false, got 1",
        ),
        (
            _spec(required_pull_request_reviews={"required_approving_review_count": 7}),
            "required_approving_review_count: expected a whole number from 0 to 6, got 7",
        ),
        (
            _spec(required_pull_request_reviews={"required_approving_review_count": True}),
            "required_approving_review_count: expected a whole number from 0 to 6, got True",
        ),
        (_spec(required_pull_request_reviews={"dismiss_stale": True}), "unknown key(s) dismiss_stale"),
    ],
)
def test_parse_rejects_bad_specs_naming_the_place(spec: object, message: str) -> None:
    with pytest.raises(UserError) as err:
        parse_spec(spec, branch="main", source="bp.yml")
    assert err.value.what.startswith("bp.yml: ")
    assert message in err.value.what
    assert err.value.exit_code == 2


def test_parse_unknown_branch_lists_the_known_ones() -> None:
    with pytest.raises(UserError) as err:
        parse_spec(_spec(), branch="develop", source="bp.yml")
    assert err.value.what == "bp.yml has no entry for branch 'develop'"
    assert "main" in err.value.why
    with pytest.raises(UserError) as err:
        parse_spec({"version": 1, "branches": {}}, branch="main", source="bp.yml")
    assert "(none)" in err.value.why
