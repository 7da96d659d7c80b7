"""A dry run, a status or a rollback against a local warehouse that does not exist yet creates nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.e2e.workspace import REPO, cli, make_workspace

pytestmark = [pytest.mark.e2e]


def test_dry_run_and_status_on_a_new_warehouse_create_nothing(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, REPO / "tests" / "fixtures" / "dbt_tiny")
    code, out, err = cli(root, "bluegreen-swap", "--env", "prod", "--dry-run")
    assert code == 0, out + err
    assert "live colour: none (first deploy)" in out
    assert (
        'CREATE OR REPLACE VIEW "lake"."MARTS"."squares" AS SELECT * FROM "lake"."MARTS__BLUE"."squares"'
        in out
    )
    code, out, err = cli(root, "status", "--env", "prod")
    assert code == 0 and "No deploy has run in prod yet" in out, out + err
    code, out, err = cli(root, "rollback", "--env", "prod", "--dry-run")
    assert code == 2 and "nothing to roll back" in err
    code, out, err = cli(root, "rollback", "--env", "prod", "--reason", "r")
    assert code == 2 and "nothing to roll back" in err
    assert not (root / "warehouse").exists(), "a read-only command created the warehouse"
