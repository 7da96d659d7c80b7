"""The README's adoption guide, run as written: a project with its own schema macro goes from nothing to
deploy → PR slim-ci → rollback with only `init`, `doctor` and the guide's commands (no hand edits).

The commands are read from README.md between the adoption-guide markers, so the guide cannot drift: the
`pipelineops` and `git` lines run in order (install lines are skipped: the CLI under test is this one), and
the one step a person does by hand, "edit a model", is a small change to a model of the fixture project.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.e2e.workspace import REPO, view_colours

from pipelineops.cli import main
from pipelineops.engines.duckdb import LocalEngine

pytestmark = [pytest.mark.e2e]
FIXTURE = REPO / "tests" / "fixtures" / "dbt_adopt"
GUIDE = re.compile(r"<!-- adoption-guide:start -->\n```sh\n(.*?)```\n<!-- adoption-guide:end -->", re.S)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def guide_commands() -> list[str]:
    match = GUIDE.search((REPO / "README.md").read_text(encoding="utf-8"))
    assert match, "README.md lost its adoption-guide markers"
    return [line.strip() for line in match.group(1).splitlines() if line.strip()]


def pipelineops(root: Path, args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root), "USER": "adopter"}
    code = main(args, environ=environ, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def edit_a_model(root: Path) -> None:
    model = root / "models" / "marts" / "daily_revenue.sql"
    model.write_text(
        model.read_text(encoding="utf-8").replace(
            "sum(amount) as revenue", "sum(amount) as revenue, max(amount) as top_order"
        ),
        encoding="utf-8",
    )


def test_the_adoption_guide_runs_from_nothing_to_a_rollback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURE, root)
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "our dbt project"], cwd=root, check=True, env=env)
    monkeypatch.chdir(root)
    ran: list[str] = []
    for line in guide_commands():
        if line.startswith("#"):
            if "edit a model" in line:
                edit_a_model(root)
            continue
        words = shlex.split(line)
        if words[0] == "git":
            subprocess.run(words, cwd=root, check=True, env=env, capture_output=True)
        elif words[0] == "pipelineops":
            code, out, err = pipelineops(root, words[1:])
            assert code == 0, f"{line}\n{out}\n{err}"
            ran.append(words[1])
            if words[1:] == ["init", "--dry-run"]:
                assert "+++ b/macros/pipelineops_generate_schema_name.sql" in out
                assert not (root / "pipelineops.yml").exists()
            if words[1] == "doctor":
                assert "FAIL" not in out and "schema macro" in out
            if words[1] == "slim-ci":
                comment = (root / "slim-ci-comment.md").read_text(encoding="utf-8")
                assert "daily_revenue" in comment
        else:
            assert words[0] in ("pip",), f"the guide runs a command the test does not know: {line}"
    assert ran == [
        "init",
        "init",
        "doctor",
        "bluegreen-swap",
        "slim-ci",
        "bluegreen-swap",
        "rollback",
        "status",
    ]
    # the project keeps its naming: its macro is renamed, not replaced, and composed with ours
    assert "macro project_generate_schema_name" in (root / "macros" / "schemas.sql").read_text(
        encoding="utf-8"
    )
    eng = LocalEngine((root / ".pipelineops" / "warehouse" / "prod").resolve())
    try:
        assert view_colours(eng, "REPORTING") == {"BLUE"} and view_colours(eng, "STG") == {"BLUE"}
    finally:
        eng.close()
    # idempotent: a second init changes nothing
    code, out, _ = pipelineops(root, ["init"])
    assert code == 0 and "nothing to change" in out
    assert subprocess.run(["git", "diff", "--quiet"], cwd=root, env=env).returncode == 0
