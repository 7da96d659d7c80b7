"""Golden SQL files: ``-- key: value`` metadata lines, then the expected SQL (after sqlglot's
``tests/helpers.py`` ``load_sql_fixture_pairs``). Cases are separated by a blank line::

    -- case: create_schema_snowflake
    -- function: create_schema
    -- dialect: snowflake
    -- args: {"database": "ANALYTICS", "schema": "CI_PR_42"}
    CREATE SCHEMA IF NOT EXISTS "ANALYTICS"."CI_PR_42"

``UPDATE_GOLDEN=1`` makes ``assert_golden`` rewrite the expected SQL in place instead of failing; review the
diff before committing it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_META = re.compile(r"--\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*?)\s*\Z")


@dataclass(frozen=True)
class GoldenCase:
    path: Path
    line: int
    meta: dict[str, str]
    sql: str

    @property
    def name(self) -> str:
        return self.meta["case"]

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line}:{self.name}"


def load_golden(path: Path) -> list[GoldenCase]:
    """Every case of one golden file, in order; each needs a unique ``case`` and some SQL."""
    cases: list[GoldenCase] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    block: list[tuple[int, str]] = []
    for number, line in [*enumerate(lines, 1), (len(lines) + 1, "")]:
        if line.strip():
            block.append((number, line))
            continue
        if not block:
            continue
        meta: dict[str, str] = {}
        sql_lines: list[str] = []
        for _, text in block:
            match = _META.match(text.strip())
            if match and not sql_lines:
                meta[match.group(1)] = match.group(2)
            else:
                sql_lines.append(text)
        start = block[0][0]
        if "case" not in meta or not sql_lines:
            raise ValueError(f"{path}:{start}: a case needs `-- case: <name>` and expected SQL")
        if any(c.name == meta["case"] for c in cases):
            raise ValueError(f"{path}:{start}: duplicate case {meta['case']!r}")
        cases.append(GoldenCase(path, start, meta, "\n".join(sql_lines)))
        block = []
    return cases


def dump_golden(cases: list[GoldenCase]) -> str:
    blocks = ["\n".join([*(f"-- {k}: {v}" for k, v in c.meta.items()), c.sql]) for c in cases]
    return "\n\n".join(blocks) + "\n"


def assert_golden(case: GoldenCase, actual: str) -> None:
    """``actual == case.sql``, or, with ``UPDATE_GOLDEN=1``, rewrite the case's SQL in its file."""
    if actual == case.sql:
        return
    if os.environ.get("UPDATE_GOLDEN") == "1":
        cases = [
            GoldenCase(c.path, c.line, c.meta, actual) if c.name == case.name else c
            for c in load_golden(case.path)
        ]
        case.path.write_text(dump_golden(cases), encoding="utf-8")
        return
    raise AssertionError(
        f"{case}: SQL differs from the golden file (UPDATE_GOLDEN=1 rewrites it)\n"
        f"  expected: {case.sql}\n  actual:   {actual}"
    )
