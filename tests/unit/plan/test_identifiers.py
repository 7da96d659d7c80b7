"""plan/identifiers.py: the only gate between names from input and SQL."""

from __future__ import annotations

import pytest

from pipelineops.errors import UserError
from pipelineops.plan.identifiers import (
    MAX_LENGTH,
    check_identifier,
    check_pr_number,
    pr_of_schema,
    pr_schema_base,
)
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, ident


@pytest.mark.parametrize("name", ["ANALYTICS", "marts__blue", "_private", "CI_PR_42", "a" * MAX_LENGTH, "x1"])
def test_plain_identifiers_pass_unchanged(name: str) -> None:
    assert check_identifier(name, field="schema") == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ('MARTS"', "'\"'"),
        ("MARTS; DROP SCHEMA PROD", "';'"),
        ("MY SCHEMA", "' '"),
        ("M\u0410RTS", "'\\u0410'"),  # Cyrillic A, looks like Latin A
        ("\uff2dARTS", "'\\uff2d'"),  # full-width M
        ("MARTS\n", "'\\n'"),
        ("a-b", "'-'"),
        ("db.schema", "'.'"),
        ("1ABC", "starts with a digit"),
        ("'; --", '"\'"'),
    ],
)
def test_hostile_names_are_refused_naming_the_field_and_the_character(name: str, why: str) -> None:
    with pytest.raises(UserError) as info:
        check_identifier(name, field="consumer schema")
    text = info.value.render()
    assert text.startswith("consumer schema = ") and "is not a plain identifier" in text
    assert why in text
    assert info.value.exit_code == 2


def test_names_longer_than_the_limit_are_refused_and_shown_shortened() -> None:
    with pytest.raises(UserError) as info:
        check_identifier("A" * 300, field="schema")
    assert "schema is 300 characters long" in info.value.what
    assert "A" * 57 + "..." in info.value.what and "A" * 58 not in info.value.what


@pytest.mark.parametrize("value", ["", None, 42])
def test_empty_or_non_string_names_are_refused(value: object) -> None:
    with pytest.raises(UserError, match="database is empty"):
        check_identifier(value, field="database")  # type: ignore[arg-type]


def test_ident_quotes_only_after_validation() -> None:
    assert ident("marts", SNOWFLAKE) == '"MARTS"'
    with pytest.raises(UserError):
        ident('x" OR "1', DUCKDB)


@pytest.mark.parametrize(
    ("value", "expected"), [(1, 1), (42, 42), ("42", 42), (" 7 ", 7), (999_999_999, 999_999_999)]
)
def test_pr_numbers_accept_positive_integers(value: object, expected: int) -> None:
    assert check_pr_number(value) == expected


@pytest.mark.parametrize(
    "value", [0, -1, "0", "042", "4 2", "1e3", "42abc", 1_000_000_000, True, None, 4.2, "", "\uff14\uff12"]
)
def test_pr_numbers_refuse_anything_else(value: object) -> None:
    with pytest.raises(UserError, match="is not a pull-request number") as info:
        check_pr_number(value, field="--pr")
    assert "github.event.pull_request.number" in info.value.fix


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (pr_schema_base(42), 42),
        ("CI_PR_42_MARTS", 42),
        ("ci_pr_7_staging", 7),
        ("CI_PR_123456789", 123456789),
        ("CI_PR_0", None),
        ("CI_PR_042", None),
        ("CI_PR_1234567890", None),
        ("CI_PR_42_", None),
        ("CI_PR_42__BLUE", None),
        ("CI_PR_42_1X", None),
        ("XCI_PR_42", None),
        ("CI_PR_42 ", None),
        ("CI_PR_", None),
        ("MARTS", None),
        ("CI_PR_\uff14\uff12", None),  # full-width digits
        ("CI_PR_1_\u017f", None),  # long s upper-cases to S: a non-ASCII name must not look like a PR schema
        ("CI_PR_1_\ufb01", None),  # ligature upper-cases to FI
    ],
)
def test_pr_of_schema_matches_the_exact_naming_scheme(schema: str, expected: int | None) -> None:
    assert pr_of_schema(schema) == expected


def test_pr_schema_base_round_trips() -> None:
    assert pr_schema_base(42) == "CI_PR_42"
    assert pr_of_schema(pr_schema_base(check_pr_number("42"))) == 42
