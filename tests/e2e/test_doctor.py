"""pipelineops doctor, and the checks every stage runs first: the two mistakes that used to pass silently
(a consumer schema no model lands in: a deploy publishing 0 views there; PR schemas created in another
warehouse than production's) and a wrong dbt target are refused with exit 2 before anything changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.e2e.workspace import REPO, cli, make_workspace

pytestmark = [pytest.mark.e2e]
TINY = REPO / "tests" / "fixtures" / "dbt_tiny"


def rewrite(root: Path, old: str, new: str) -> None:
    path = root / "pipelineops.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_doctor_passes_on_a_good_set_up_and_prints_one_json_document(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, TINY)
    code, out, err = cli(root, "doctor", "--json")
    assert code == 0, err
    checks = {c["name"]: c["status"] for c in json.loads(out)["data"]["checks"]}
    assert checks["schema macro"] == checks["consumer schemas"] == checks["dbt targets"] == "pass"
    assert checks["PR defers to production"] == "pass"


def test_a_consumer_schema_without_models_stops_the_deploy_before_any_change(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, TINY, schemas="MARTS, STAGING")
    code, out, err = cli(root, "doctor")
    assert code == 1 and "FAIL" in out and "no model lands in STAGING" in out
    code, _, err = cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    assert code == 2, err
    assert "no model lands in STAGING" in err and "layout.consumer_schemas: [MARTS]" in err
    assert not (root / "warehouse").exists()  # nothing was created


def test_pr_schemas_in_another_warehouse_than_production_are_refused(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, TINY)
    rewrite(
        root,
        "    dbt_target: local_dev\n    local_dir: warehouse",
        "    dbt_target: local_dev\n    local_dir: wh-dev",
    )
    code, _, err = cli(root, "pr-schema", "create", "--pr", "3")
    assert code == 2, err
    assert "PR defers to production" in err and "environments.dev.local_dir" in err
    assert not (root / "wh-dev").exists() and not (root / "warehouse").exists()


def test_a_wrong_dbt_target_names_its_config_key(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, TINY)
    rewrite(root, "dbt_target: local_prod", "dbt_target: local_prd")
    code, _, err = cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    assert code == 2, err
    assert "target 'local_prd' is not in profile" in err and "environments.prod.dbt_target" in err
