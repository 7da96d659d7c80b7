"""CODEOWNERS backs the `require_code_owner_reviews` rule of .github/branch-protection.yml."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
OWNER = re.compile(r"@[A-Za-z0-9-]+/[A-Za-z0-9_.-]+|@[A-Za-z0-9-]+")


def _rules() -> list[tuple[str, list[str]]]:
    rules = []
    for line in (ROOT / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            pattern, *owners = line.split()
            rules.append((pattern, owners))
    return rules


def _owners(path: str) -> list[str]:
    """Owners of ``path``: the last matching rule wins (GitHub's rule), for the pattern forms we use."""
    found: list[str] = []
    for pattern, owners in _rules():
        anchored = pattern.lstrip("/")
        if (
            pattern == "*"
            or (pattern.endswith("/") and path.startswith(anchored))
            or fnmatch.fnmatchcase(path, anchored)
        ):
            found = owners
    return found


def test_every_rule_names_valid_owners() -> None:
    rules = _rules()
    assert rules[0] == ("*", ["@pipelineops/maintainers"])
    for pattern, owners in rules:
        assert owners, f"{pattern} has no owner"
        assert all(OWNER.fullmatch(o) for o in owners), (pattern, owners)


@pytest.mark.parametrize(
    "path",
    [
        "actions/bluegreen-swap/action.yml",
        ".github/workflows/deploy.yml",
        "terraform/roles.tf",
        "src/pipelineops/engines/snowflake.py",
        "action.yml",
    ],
)
def test_sensitive_paths_need_a_narrower_team_than_the_maintainers(path: str) -> None:
    owners = _owners(path)
    assert owners and "@pipelineops/maintainers" not in owners, (path, owners)


def test_ordinary_code_is_owned_by_the_maintainers() -> None:
    assert _owners("src/pipelineops/report/markdown.py") == ["@pipelineops/maintainers"]
    assert _owners("dbt/models/marts/fct_orders.sql") == ["@pipelineops/maintainers"]
