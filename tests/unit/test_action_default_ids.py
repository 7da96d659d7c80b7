"""The default operation ids the action docs state are the ids the code makes (execute/operation.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipelineops.execute.operation import default_op_id

REPO = Path(__file__).resolve().parents[2]
RUN = "4242"


def documented_default(action: str, name: str) -> str:
    data = yaml.safe_load((REPO / "actions" / action / "action.yml").read_text(encoding="utf-8"))
    description = str(data["inputs"][name]["description"]).replace("<run id>", RUN)
    found = re.search(r"Empty: (gh-\S+?)[,\s]", description)
    assert found, f"actions/{action}: input {name} does not state its default id"
    return found.group(1)


@pytest.mark.parametrize(
    ("action", "name", "prefix"),
    [("bluegreen-swap", "deploy-id", ""), ("rollback", "rollback-id", "rollback-")],
)
def test_action_docs_state_the_default_id_the_code_uses(action: str, name: str, prefix: str) -> None:
    code = default_op_id({"GITHUB_RUN_ID": RUN, "GITHUB_RUN_ATTEMPT": "2"}, prefix, "20260101T000000", "abc")
    assert documented_default(action, name) == code
    readme = (REPO / "actions" / action / "README.md").read_text(encoding="utf-8")
    assert "<run attempt>" not in readme
