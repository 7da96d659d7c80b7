"""Static check of generated DuckDB SQL (test-side): DuckDB's own parser, without a database.

``check_duckdb_sql(text)`` raises ``AssertionError`` unless ``text`` is exactly one statement that DuckDB's
parser accepts (``duckdb.extract_statements`` parses and binds nothing, so the relations need not exist).
"""

from __future__ import annotations

import duckdb


def check_duckdb_sql(text: str) -> None:
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        raise AssertionError(f"DuckDB cannot parse {text!r}: {exc}") from None
    assert len(statements) == 1, f"expected one statement, got {len(statements)}: {text!r}"
