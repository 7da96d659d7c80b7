"""slim-ci --dry-run --state-dir on a Snowflake configuration with no account reachable and no key: it
needs no session (real `dbt ls` with dbt-snowflake, offline), prints one JSON document, writes the comment
file, and says once that the vars could not be compared with an unreachable base ref."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from pipelineops.cli import main
from pipelineops.engines import factory

REPO = Path(__file__).resolve().parents[3]
CONFIG = """\
version: 1
dbt:
  project_dir: {project}
layout:
  consumer_schemas: [STAGING, INTERMEDIATE, MARTS]
environments:
  dev:
    engine: snowflake
    dbt_target: ci
    database: ANALYTICS
    snowflake: {{account: nowhere-unreachable, user: CI, role: R, warehouse: W}}
  prod:
    engine: snowflake
    dbt_target: prod
    database: ANALYTICS
    snowflake: {{account: nowhere-unreachable, user: CI, role: R, warehouse: W}}
"""


def test_slim_ci_dry_run_with_a_state_dir_never_connects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_session(*_: object, **__: object) -> None:
        raise AssertionError("slim-ci --dry-run --state-dir opened a warehouse session")

    monkeypatch.setattr(factory, "open_engine", no_session)
    monkeypatch.setattr("pipelineops.execute.runtime.open_engine", no_session)
    (tmp_path / "state").mkdir()
    shutil.copy(
        REPO / "tests" / "fixtures" / "dbt" / "manifest_small.json", tmp_path / "state" / "manifest.json"
    )
    config = tmp_path / "pipelineops.yml"
    config.write_text(CONFIG.format(project=REPO / "dbt"), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    argv = ["slim-ci", "--pr", "5", "--dry-run", "--json", "--state-dir", str(tmp_path / "state")]
    argv += ["--base-ref", "no-such-ref", "--comment-file", str(tmp_path / "c.md"), "--config", str(config)]
    code = main(argv, environ={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    doc = json.loads(out.getvalue())
    assert doc["conclusion"] == "skipped" and doc["facts"]["PR comment"] == f"written to {tmp_path / 'c.md'}"
    assert "no connection to dev" in err.getvalue()
    comment = (tmp_path / "c.md").read_text(encoding="utf-8")
    spot = [line for line in comment.splitlines() if line.startswith("| vars |")]
    assert (
        len(spot) == 1
        and "--base-ref no-such-ref is not available" in spot[0]
        and spot[0].endswith(("| - |", "| \\- |"))  # the escaped dash of the report's Markdown
    )
