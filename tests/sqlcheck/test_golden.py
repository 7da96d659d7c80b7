"""The golden-file loader: metadata, SQL, errors, and the UPDATE_GOLDEN rewrite."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.sqlcheck.golden import assert_golden, dump_golden, load_golden

TEXT = """-- case: one
-- dialect: snowflake
-- args: {"a": 1}
SELECT 1


-- case: two
SELECT
  2
"""


def test_load_reads_metadata_and_multi_line_sql(tmp_path: Path) -> None:
    path = tmp_path / "g.sql"
    path.write_text(TEXT)
    one, two = load_golden(path)
    assert (one.name, one.meta, one.sql, one.line) == (
        "one",
        {"case": "one", "dialect": "snowflake", "args": '{"a": 1}'},
        "SELECT 1",
        1,
    )
    assert (two.sql, str(two)) == ("SELECT\n  2", "g.sql:7:two")


@pytest.mark.parametrize(
    ("text", "message"),
    [("-- case: x\n", "needs"), ("SELECT 1\n", "needs"), ("-- case: x\nA\n\n-- case: x\nB\n", "duplicate")],
)
def test_malformed_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "g.sql"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_golden(path)


def test_mismatch_fails_and_update_golden_rewrites_only_that_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "g.sql"
    path.write_text(TEXT)
    one, two = load_golden(path)
    assert_golden(one, "SELECT 1")
    monkeypatch.delenv("UPDATE_GOLDEN", raising=False)
    with pytest.raises(AssertionError, match="differs from the golden file"):
        assert_golden(two, "SELECT 3")
    monkeypatch.setenv("UPDATE_GOLDEN", "1")
    assert_golden(two, "SELECT 3")
    assert [c.sql for c in load_golden(path)] == ["SELECT 1", "SELECT 3"]
    assert path.read_text() == dump_golden(load_golden(path))
