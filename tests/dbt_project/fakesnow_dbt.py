"""Run dbt-snowflake against the fakesnow emulator, in one process (the emulator is in-memory).

    python fakesnow_dbt.py <plan.json>

plan.json: {"load_raw": {"<seed name>": "<csv path>", ...}, "raw_columns": {"<seed>": {"col": "type"}},
            "database": "ANALYTICS", "invocations": [["build", "--target", "ci", ...], ...]}
Prints one JSON line per invocation ({"args": [...], "success": bool}) and exits 0 when all succeed.

fakesnow 0.11.15 gaps worked around here (documented in dbt/README.md):
- dbt-snowflake seeds load with ``INSERT OVERWRITE INTO``, which fakesnow cannot parse: rewritten to a plain
  ``INSERT INTO`` (the seed table is new or just truncated, so the result is the same).
- Loading 14,800 seed rows through the emulator's SQL translation takes ~80 s, so the raw tables given in
  ``load_raw`` are created through the emulator and filled directly in its DuckDB instance instead.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import fakesnow
import fakesnow.cursor
import snowflake.connector
from dbt.cli.main import dbtRunner

_OVERWRITE = re.compile(r"^\s*insert\s+overwrite\s+into\s", re.IGNORECASE)
_original_execute = fakesnow.cursor.FakeSnowflakeCursor.execute


def _execute(self, command, *args, **kwargs):  # type: ignore[no-untyped-def]
    if isinstance(command, str) and _OVERWRITE.match(command):
        command = _OVERWRITE.sub("insert into ", command, count=1)
    return _original_execute(self, command, *args, **kwargs)


def _load_raw(database: str, tables: dict[str, str], columns: dict[str, dict[str, str]]) -> None:
    conn = snowflake.connector.connect(account="fakesnow", user="fake", password="fake", database=database)
    cur = conn.cursor()
    cur.execute(f"create schema if not exists {database}.RAW")
    for name, csv_path in tables.items():
        cols = ", ".join(f"{col} {typ}" for col, typ in columns[name].items())
        cur.execute(f"create or replace table {database}.RAW.{name} ({cols})")
        conn._duck_conn.execute(
            f"insert into {database}.RAW.{name} select * from read_csv(?, header = true, all_varchar = true)",
            [csv_path],
        )
    conn.close()


def main(plan_path: str) -> int:
    plan = json.loads(Path(plan_path).read_text())
    fakesnow.cursor.FakeSnowflakeCursor.execute = _execute
    ok = True
    with fakesnow.patch():
        if plan.get("load_raw"):
            _load_raw(plan.get("database", "ANALYTICS"), plan["load_raw"], plan["raw_columns"])
        for args in plan["invocations"]:
            result = dbtRunner().invoke(args)
            print(json.dumps({"args": args, "success": bool(result.success)}), flush=True)
            ok = ok and bool(result.success)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
