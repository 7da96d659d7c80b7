"""pipelineops init on a project in dbt/ with no schema macro of its own and an existing pre-commit config:
dbt's default naming is composed, existing files get additive edits, the pin is the SHA given, and a
second run changes nothing."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import yaml
from tests.e2e.workspace import REPO

from pipelineops.cli import main

pytestmark = [pytest.mark.e2e]
SHA = "0123456789abcdef0123456789abcdef01234567"
HOOKS = "repos:\n  - repo: local\n    hooks:\n      - id: mine\n        name: mine\n        entry: 'true'\n        language: system\n"


def init(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["init", *args], environ={"PATH": "/usr/bin:/bin"}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_init_composes_dbts_default_and_edits_existing_files_additively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "tests" / "fixtures" / "dbt_adopt", tmp_path / "dbt")
    (tmp_path / "dbt" / "macros" / "schemas.sql").unlink()
    (tmp_path / ".pre-commit-config.yaml").write_text(HOOKS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = init("--pipelineops-ref", "v1.2.3")
    assert code == 2 and "not a full commit SHA" in err
    code, out, err = init("--pipelineops-ref", SHA, "--dry-run")
    assert code == 0, err
    assert "+++ b/dbt/macros/pipelineops_generate_schema_name.sql" in out
    assert not (tmp_path / "pipelineops.yml").exists()  # a dry run writes nothing
    code, out, err = init("--pipelineops-ref", SHA)
    assert code == 0, err
    config = yaml.safe_load((tmp_path / "pipelineops.yml").read_text(encoding="utf-8"))
    assert config["dbt"]["project_dir"] == "dbt"
    # dbt's default naming: <target schema>_<custom schema>
    assert config["layout"]["consumer_schemas"] == ["ANALYTICS_REPORTING", "ANALYTICS_STG"]
    assert config["layout"]["raw_schema"] == "ANALYTICS_LANDING"
    macro = (tmp_path / "dbt" / "macros" / "pipelineops_generate_schema_name.sql").read_text(encoding="utf-8")
    assert "default__generate_schema_name(custom_schema_name, node)" in macro
    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"]
    assert hooks[0]["hooks"][0]["id"] == "mine" and hooks[1]["rev"] == SHA
    pr = (tmp_path / ".github" / "workflows" / "pr.yml").read_text(encoding="utf-8")
    assert f"dbt-slim-ci.yml@{SHA} # pipelineops" in pr and "project-dir: dbt" in pr
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and ".pipelineops" not in p.parts}
    code, out, _ = init("--pipelineops-ref", SHA)
    assert code == 0 and "nothing to change" in out
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and ".pipelineops" not in p.parts}
    assert before == after
