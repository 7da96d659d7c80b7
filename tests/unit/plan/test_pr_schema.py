"""The PR-schema plan: which schemas, the exact SQL for both dialects, and what is refused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipelineops.errors import UserError
from pipelineops.plan import pr_schema
from pipelineops.plan.identifiers import check_pr_number
from pipelineops.plan.pr_schema import NodeSchema, create_plan, drop_plan, project_schemas
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, dialect_for
from pipelineops.plan.sql.common import list_schemas_created

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sql" / "pr_schema"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
try:  # the strict Snowflake checker, when present
    from sqlcheck.snowflake_check import check_snowflake_sql
except ImportError:  # pragma: no cover
    check_snowflake_sql = None


def _load(path: Path) -> tuple[dict[str, str], list[str]]:
    meta: dict[str, str] = {}
    statements: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-- "):
            key, _, value = line[3:].partition(":")
            meta[key.strip()] = value.strip()
        elif line.strip():
            statements.append(line.rstrip(";"))
    return meta, statements


def _names(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _render(meta: dict[str, str]) -> list[str]:
    dialect = dialect_for(meta["dialect"])
    assert dialect in (DUCKDB, SNOWFLAKE)
    if meta["plan"] == "list":
        return [list_schemas_created(meta["database"], pr_schema.LIKE_PATTERN, dialect)]
    pr = int(meta["pr"])
    if meta["plan"] == "create":
        p = create_plan(
            pr,
            _names(meta["schemas"]),
            present=_names(meta["present"]),
            database=meta["database"],
            dialect=dialect,
        )
    else:
        p = drop_plan(pr, _names(meta["present"]), database=meta["database"], dialect=dialect)
    return [s for step in p.steps for s in step.sql]


GOLDEN = sorted(FIXTURES.glob("*.sql"))


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_plan_sql_matches_golden_file(path: Path) -> None:
    meta, expected = _load(path)
    assert _render(meta) == expected


@pytest.mark.parametrize("path", [p for p in GOLDEN if "snowflake" in p.stem], ids=lambda p: p.stem)
def test_snowflake_statements_pass_the_strict_checker(path: Path) -> None:
    if check_snowflake_sql is None:  # pragma: no cover
        pytest.skip("tests/sqlcheck/snowflake_check.py is not available")
    meta, _ = _load(path)
    for stmt in _render(meta):
        check_snowflake_sql(stmt)


def test_golden_files_cover_both_dialects_for_create_drop_and_list() -> None:
    seen = {(_load(p)[0]["plan"], _load(p)[0]["dialect"]) for p in GOLDEN}
    assert seen == {(a, d) for a in ("create", "drop", "list") for d in ("duckdb", "snowflake")}


def test_project_schemas_put_the_base_first_and_deduplicate() -> None:
    nodes = [
        NodeSchema("model.p.a", "CI_PR_7_STAGING"),
        NodeSchema("model.p.b", "CI_PR_7_STAGING"),
        NodeSchema("seed.p.c", "ci_pr_7_raw"),
        NodeSchema("model.p.d", "CI_PR_7"),
    ]
    assert project_schemas(7, nodes) == ("CI_PR_7", "CI_PR_7_RAW", "CI_PR_7_STAGING")


def test_project_schemas_always_include_the_base_schema() -> None:
    assert project_schemas(12, []) == ("CI_PR_12",)


@pytest.mark.parametrize(
    "schema",
    [
        "MARTS",
        "CI_PR_8_MARTS",
        "CI_PR_70",
        "CI_PR_7-X",
        'CI_PR_7"; DROP SCHEMA MARTS; --',
        "CI_PR_7_\uff2dARTS",
    ],
)
def test_project_schema_outside_this_prs_pattern_is_refused(schema: str) -> None:
    with pytest.raises(UserError) as caught:
        project_schemas(7, [NodeSchema("model.p.x", schema)])
    assert "model.p.x" in caught.value.what


def test_create_plan_marks_existing_schemas_as_no_change() -> None:
    p = create_plan(
        7, ["CI_PR_7", "CI_PR_7_MARTS"], present=["ci_pr_7_marts"], database="lake", dialect=DUCKDB
    )
    assert [s.why for s in p.steps] == ["PR 7 builds into it", "already exists: no change"]
    assert ("schemas", "2 (1 new)") in p.facts


def test_create_plan_refuses_a_schema_of_another_pr() -> None:
    with pytest.raises(UserError, match="not a schema of PR 7"):
        create_plan(7, ["CI_PR_7", "CI_PR_8"], present=[], database="lake", dialect=DUCKDB)


def test_create_plan_refuses_a_hostile_name_before_rendering_sql() -> None:
    with pytest.raises(UserError, match="not a plain identifier"):
        create_plan(7, ['CI_PR_7"; DROP'], present=[], database="lake", dialect=DUCKDB)


def test_drop_plan_never_touches_other_prs_or_production() -> None:
    present = [
        "CI_PR_7",
        "CI_PR_70",
        "CI_PR_17",
        "MARTS",
        "MARTS__BLUE",
        "PIPELINEOPS",
        "CI_PR_7_",
        "CI_PRX7",
    ]
    p = drop_plan(7, present, database="lake", dialect=DUCKDB)
    assert [s.name for s in p.steps] == ["drop CI_PR_7"]


def test_drop_plan_of_a_pr_without_schemas_is_empty() -> None:
    assert drop_plan(9, ["MARTS"], database="lake", dialect=DUCKDB).steps == ()


@pytest.mark.parametrize(
    "value",
    ["7; DROP SCHEMA MARTS", "'7'", "\uff17", "9" * 300, "0", "-1", "1e3", "", " ", "07", "7.0", True],
)
def test_hostile_pr_numbers_are_refused(value: object) -> None:
    with pytest.raises(UserError):
        check_pr_number(value)


def test_is_schema_of_matches_exactly() -> None:
    assert pr_schema.is_schema_of("CI_PR_7_MARTS", 7)
    assert pr_schema.is_schema_of("ci_pr_7", 7)
    assert not pr_schema.is_schema_of("CI_PR_70", 7)
    assert not pr_schema.is_schema_of("XCI_PR_7", 7)


def test_create_plan_deduplicates_names_case_insensitively() -> None:
    p = create_plan(7, ["CI_PR_7", "ci_pr_7"], present=[], database="lake", dialect=DUCKDB)
    assert [s.name for s in p.steps] == ["create CI_PR_7"]
