"""slim-ci's repository links: a payload without a pull request (a push, act) links GITHUB_SHA, never fails."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from pipelineops.commands.slim_ci_report import repo_links


def _config(root: Path) -> Any:
    (root / "dbt").mkdir()
    return cast(Any, SimpleNamespace(root=root, project_dir=root / "dbt"))


def test_a_push_payload_without_a_repository_links_the_commit_of_the_run(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/main"}), encoding="utf-8")
    environ = {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_SHA": "a" * 40,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/analytics",
    }
    prefix, url = repo_links(_config(tmp_path), environ)
    assert prefix == "dbt"
    assert url is not None and "a" * 40 in url


def test_outside_github_there_is_no_link(tmp_path: Path) -> None:
    assert repo_links(_config(tmp_path), {}) == ("dbt", None)
