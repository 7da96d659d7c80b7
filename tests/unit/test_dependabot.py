"""`.github/dependabot.yml` covers what the README says it keeps current: the action SHA pins (workflows,
the root action and every composite action) and the Python pins, and it passes the Dependabot schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".github" / "dependabot.yml"


def test_dependabot_updates_action_pins_and_python_pins() -> None:
    updates = {
        u["package-ecosystem"]: u for u in yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["updates"]
    }
    assert set(updates) == {"github-actions", "pip"}
    dirs = updates["github-actions"]["directories"]
    assert "/" in dirs and "/actions/*" in dirs
    assert sorted(p.parent.name for p in (ROOT / "actions").glob("*/action.yml"))  # the glob matches actions
    assert updates["pip"]["directory"] == "/requirements"
    assert (ROOT / "requirements" / "runtime.txt").is_file()


def test_dependabot_config_passes_the_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.dependabot", str(CONFIG)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
