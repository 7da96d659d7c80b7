"""sqlfluff (Snowflake dialect, dbt templater on the local_dev target) passes on the project's SQL with
dbt/.sqlfluff and dbt/.sqlfluffignore."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .dbt_helpers import BIN_DIR, DBT_DIR, LocalWarehouse

pytestmark = pytest.mark.e2e


def test_sqlfluff_lints_models_and_singular_tests_clean(tmp_path: Path) -> None:
    wh = LocalWarehouse.create(tmp_path)
    env = wh.env()
    env["DBT_LOG_PATH"] = str(tmp_path / "logs")
    # the dbt templater compiles the project; keep its artifacts out of dbt/target
    extra = tmp_path / "sqlfluff.cfg"
    extra.write_text(f"[sqlfluff:templater:dbt]\ntarget_path = {tmp_path / 'target'}\n")
    proc = subprocess.run(
        [str(BIN_DIR / "sqlfluff"), "lint", "models", "tests", "--config", str(extra), "--format", "json"],
        cwd=DBT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(proc.stdout)
    linted = {Path(f["filepath"]).as_posix() for f in report}
    assert "models/marts/fct_orders.sql" in linted
    assert "tests/raw/assert_raw_columns_declared.sql" in linted
    assert not any(p.startswith("tests/generic/") for p in linted)  # Jinja test macros: .sqlfluffignore
    violations = [(f["filepath"], v["code"], v["description"]) for f in report for v in f["violations"]]
    assert violations == []
    assert proc.returncode == 0, proc.stderr[-3000:]
