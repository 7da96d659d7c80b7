"""scripts/action_docs.py on the fixture actions in tests/fixtures/actions/ (copied to tmp_path)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "action_docs.py"
FIXTURES = ROOT / "tests" / "fixtures" / "actions"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("action_docs", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["action_docs"] = module
    spec.loader.exec_module(module)
    return module


action_docs = _load()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES, tmp_path / "repo")
    return tmp_path / "repo"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False)


def test_committed_fixture_readmes_are_up_to_date() -> None:
    result = _cli("--root", str(FIXTURES), "--check")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_adding_an_input_without_regenerating_fails_the_check(repo: Path) -> None:
    action = repo / "actions" / "slim-ci" / "action.yml"
    action.write_text(
        action.read_text(encoding="utf-8").replace(
            "inputs:\n",
            'inputs:\n  threads:\n    description: dbt threads.\n    required: false\n    default: "4"\n',
            1,
        ),
        encoding="utf-8",
    )
    before = (repo / "actions" / "slim-ci" / "README.md").read_text(encoding="utf-8")
    result = _cli("--root", str(repo), "--check")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "actions/slim-ci/README.md: out of date with its action.yml; run `python scripts/action_docs.py` and commit"
    ]
    assert (repo / "actions" / "slim-ci" / "README.md").read_text(
        encoding="utf-8"
    ) == before  # --check writes nothing

    assert _cli("--root", str(repo)).stdout == "updated actions/slim-ci/README.md\n"
    readme = (repo / "actions" / "slim-ci" / "README.md").read_text(encoding="utf-8")
    assert "| `threads` | dbt threads. | no | `4` |" in readme
    assert _cli("--root", str(repo), "--check").returncode == 0


def test_every_drifted_readme_is_listed(repo: Path) -> None:
    for name in ("slim-ci", "freshness"):
        path = repo / "actions" / name / "action.yml"
        path.write_text(
            path.read_text(encoding="utf-8").replace("    description: ", "    description: Now ", 1),
            encoding="utf-8",
        )
    (repo / "README.md").unlink()
    result = _cli("--root", str(repo), "--check")
    assert result.returncode == 1
    listed = sorted(line.split(":")[0] for line in result.stderr.splitlines())
    assert listed == ["README.md", "actions/freshness/README.md", "actions/slim-ci/README.md"]


def test_hand_written_text_outside_the_markers_is_kept(repo: Path) -> None:
    readme = repo / "actions" / "slim-ci" / "README.md"
    text = readme.read_text(encoding="utf-8")
    action_docs.run(repo, check=False)
    assert readme.read_text(encoding="utf-8") == text
    assert "## Permissions" in text and "Hand-written text outside the markers" in text


def test_inputs_table_rows() -> None:
    table = action_docs.inputs_table(
        {
            "a": {"description": "first\nline", "required": True},
            "b": {"description": "x | y\n\nsecond paragraph", "default": ""},
            "c": {"description": "old", "default": "`tick`", "deprecationMessage": "use a"},
            "d": {"description": "flag", "default": False},
        }
    )
    assert table.splitlines() == [
        "| Input | Description | Required | Default |",
        "| --- | --- | --- | --- |",
        "| `a` | first line | yes |  |",
        '| `b` | x \\| y<br>second paragraph | no | `""` |',
        "| `c` | **Deprecated:** use a<br>old | no | `` `tick` `` |",
        "| `d` | flag | no | `false` |",
    ]
    assert action_docs.inputs_table({}) == "This action has no inputs."
    assert action_docs.outputs_table({}) == "This action has no outputs."


def test_missing_readme_and_missing_markers_are_created(repo: Path) -> None:
    (repo / "actions" / "freshness" / "README.md").unlink()
    (repo / "README.md").write_text("# setup\n\nHand-written only.\n", encoding="utf-8")
    drifted, errors = action_docs.run(repo, check=False)
    assert errors == []
    assert sorted(p.relative_to(repo).as_posix() for p in drifted) == [
        "README.md",
        "actions/freshness/README.md",
    ]
    created = (repo / "actions" / "freshness" / "README.md").read_text(encoding="utf-8")
    assert created.startswith(
        "# pipelineops freshness (fixture)\n\nCheck source freshness against the SLAs.\n"
    )
    root = (repo / "README.md").read_text(encoding="utf-8")
    assert root.startswith("# setup\n\nHand-written only.\n\n## Inputs\n\n<!-- action-docs:inputs -->\n")
    assert action_docs.run(repo, check=True) == ([], [])


def test_broken_markers_and_bad_yaml_are_errors(repo: Path) -> None:
    readme = repo / "actions" / "slim-ci" / "README.md"
    readme.write_text(
        readme.read_text(encoding="utf-8").replace("<!-- /action-docs:outputs -->", ""), encoding="utf-8"
    )
    (repo / "actions" / "freshness" / "action.yml").write_text("inputs: [unclosed\n", encoding="utf-8")
    result = _cli("--root", str(repo))
    assert result.returncode == 1
    assert "the outputs markers must appear once, as a pair" in result.stderr
    assert "actions/freshness/action.yml: not valid YAML" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [("- a list\n", "not an action definition"), ("inputs: [a, b]\n", "`inputs` must map each name")],
)
def test_malformed_actions_are_reported(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "action.yml").write_text(text, encoding="utf-8")
    drifted, errors = action_docs.run(tmp_path, check=True)
    assert drifted == []
    assert len(errors) == 1 and message in errors[0]


@pytest.mark.skipif(
    not list((ROOT / "actions").glob("*/action.yml")), reason="no actions/*/action.yml in this checkout yet"
)
def test_repository_action_readmes_are_up_to_date() -> None:
    result = _cli("--check")
    assert result.returncode == 0, result.stderr
