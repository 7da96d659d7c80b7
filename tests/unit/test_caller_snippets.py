"""The consumer path, checked statically: every caller snippet we publish works against our reusable workflows.

A caller snippet is a ```yaml block of README.md, or the commented example in the ``# when:`` header of a
workflow, whose jobs call ``.github/workflows/<file>@<ref>``. GitHub refuses such a call at start-up when the
caller grants less than a job of the called workflow requests ("The nested job … is requesting
'pull-requests: write', but is only allowed 'pull-requests: none'"), when a ``with:``/``secrets:`` name is not
declared by its ``workflow_call``, or when a required one is missing. The runner refuses a ``uses: $/`` with
no path ("Expected format {org}/{repo}[/path]@ref"), and a ``$/<path>`` that holds no action.yml fails the job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
README = REPO / "README.md"
LEVEL = {"none": 0, "read": 1, "write": 2}
CALL = re.compile(r"^[\w.-]+/[\w.-]+/\.github/workflows/([\w.-]+\.ya?ml)@\S.*$")
INPUT_REF = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


@dataclass(frozen=True)
class Snippet:
    where: str
    text: str


def load(text: str) -> Any:
    return yaml.load(text, Loader=yaml.BaseLoader)


def readme_snippets(path: Path = README) -> list[Snippet]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^( *)```ya?ml\n(.*?)^\1```", text, flags=re.M | re.S):
        body = "\n".join(line[len(match.group(1)) :] for line in match.group(2).splitlines())
        line = text[: match.start()].count("\n") + 1
        found.append(Snippet(f"{path.name}:{line}", body))
    return found


def header_snippets(path: Path) -> list[Snippet]:
    """The caller example commented in a workflow's ``# when:`` header (lines indented by ``#`` + 9 spaces)."""
    lines = path.read_text(encoding="utf-8").split("\nname:")[0].splitlines()
    body = [line[10:] for line in lines if line.startswith("#         ")]
    return [Snippet(f"{path.name} header", "\n".join(body))] if body else []


def public_workflows() -> list[Path]:
    return sorted(p for p in WORKFLOWS.glob("*.yml") if "workflow_call" in (load_file(p).get("on") or {}))


def load_file(path: Path) -> Any:
    return load(path.read_text(encoding="utf-8"))


def _declared(spec: Any) -> dict[str, bool]:
    """name → required, from a workflow_call ``inputs:`` or ``secrets:`` mapping."""
    return {name: str((s or {}).get("required", "false")) == "true" for name, s in (spec or {}).items()}


def _granted(doc: dict[str, Any], job: dict[str, Any]) -> dict[str, str] | None:
    perms = job.get("permissions", doc.get("permissions"))
    if perms is None:
        return None
    if isinstance(perms, str):  # read-all / write-all
        level = perms.split("-")[0]
        return {"*": level}
    return dict(perms)


def check_caller(snippet: Snippet, workflows: Path = WORKFLOWS) -> tuple[list[str], set[str]]:
    """(findings, called workflow files) for one snippet."""
    doc = load(snippet.text)
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
        return [], set()
    findings: list[str] = []
    called: set[str] = set()
    dispatch = (doc.get("on") or {}) if isinstance(doc.get("on"), dict) else {}
    caller_inputs = set()
    for event in ("workflow_dispatch", "workflow_call"):
        caller_inputs |= set((dispatch.get(event) or {}).get("inputs") or {})
    for job_id, job in doc["jobs"].items():
        match = CALL.match(str(job.get("uses", "")))
        if not match:
            continue
        where = f"{snippet.where}: job {job_id}"
        path = workflows / match.group(1)
        called.add(match.group(1))
        if not path.is_file():
            findings.append(f"{where}: calls {match.group(1)}, which does not exist")
            continue
        callee = load_file(path)
        call = (callee.get("on") or {}).get("workflow_call")
        if call is None:
            findings.append(f"{where}: {match.group(1)} has no workflow_call trigger")
            continue
        if "on" not in doc:
            findings.append(f"{where}: the snippet has no `on:` triggers")
        granted = _granted(doc, job)
        if granted is None:
            findings.append(
                f"{where}: grants no explicit permissions (the called jobs get the repository default)"
            )
            granted = {}
        for callee_job_id, callee_job in (callee.get("jobs") or {}).items():
            for scope, level in (callee_job.get("permissions") or {}).items():
                have = granted.get(scope, granted.get("*", "none"))
                if LEVEL[have] < LEVEL[level]:
                    findings.append(
                        f"{where}: {match.group(1)} job {callee_job_id} requests '{scope}: {level}' "
                        f"but the caller grants '{scope}: {have}'"
                    )
        in_environment = [j for j, spec in (callee.get("jobs") or {}).items() if "environment" in spec]
        if in_environment and job.get("secrets") not in (None, "inherit"):
            findings.append(
                f"{where}: {match.group(1)} job {in_environment[0]} runs in an environment: pass `secrets: inherit`, "
                "the only way its environment secrets reach the called job"
            )
        for kind in ("inputs", "secrets"):
            declared = _declared(call.get(kind))
            given = job.get("with" if kind == "inputs" else "secrets") or {}
            if given == "inherit":
                continue
            for name in given:
                if name not in declared:
                    findings.append(f"{where}: {match.group(1)} declares no {kind[:-1]} `{name}`")
            for name, required in declared.items():
                if required and name not in given:
                    findings.append(
                        f"{where}: required {kind[:-1]} `{name}` of {match.group(1)} is not passed"
                    )
        for value in (job.get("with") or {}).values():
            for name in INPUT_REF.findall(str(value)):
                if name not in caller_inputs:
                    findings.append(
                        f"{where}: passes inputs.{name}, which the caller's trigger does not declare"
                    )
    return findings, called


def check_self_references(root: Path = REPO) -> list[str]:
    """Every ``uses: $/…`` in our workflows and actions names a folder of ``root`` holding an action.yml."""
    findings = []
    files = [*sorted((root / ".github" / "workflows").glob("*.y*ml")), *sorted(root.glob("**/action.yml"))]
    for path in files:
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = re.match(r"^\s*(?:-\s+)?uses:\s*(\$/\S*)", line)
            if not match:
                continue
            where = f"{path.relative_to(root)}:{number}"
            target = match.group(1)[2:].strip("/")
            if not target:
                findings.append(f"{where}: bare `$/` (the runner expects {{org}}/{{repo}}[/path]@ref)")
            elif not (root / target / "action.yml").is_file():
                findings.append(f"{where}: `{match.group(1)}` holds no action.yml")
    return findings


# --- the checks can fail ----------------------------------------------------------------------------------

BAD_CALLER = """\
on:
  pull_request:
permissions: {}
jobs:
  slim-ci:
    uses: pipelineops/actions/.github/workflows/dbt-slim-ci.yml@0123456789abcdef0123456789abcdef01234567
    permissions:
      contents: read
    with:
      no-such-input: x
      config: ${{ inputs.config }}
    secrets:
      NO_SUCH_SECRET: ${{ secrets.X }}
"""


def test_check_caller_reports_each_kind_of_mistake() -> None:
    findings, called = check_caller(Snippet("bad", BAD_CALLER))
    assert called == {"dbt-slim-ci.yml"}
    text = "\n".join(findings)
    assert "job slim-ci requests 'pull-requests: write' but the caller grants 'pull-requests: none'" in text
    assert "declares no input `no-such-input`" in text
    assert "declares no secret `NO_SUCH_SECRET`" in text
    assert "passes inputs.config, which the caller's trigger does not declare" in text


def test_check_caller_reports_missing_required_and_missing_workflow(tmp_path: Path) -> None:
    (tmp_path / "w.yml").write_text(
        "on:\n  workflow_call:\n    inputs:\n      must: {type: string, required: true}\n"
        "    secrets:\n      KEY: {required: true}\njobs:\n  a:\n    permissions: {id-token: write}\n",
        encoding="utf-8",
    )
    snippet = "jobs:\n  a:\n    uses: o/r/.github/workflows/w.yml@x\n  b:\n    uses: o/r/.github/workflows/gone.yml@x\n"
    findings, _ = check_caller(Snippet("s", snippet), workflows=tmp_path)
    assert findings == [
        "s: job a: the snippet has no `on:` triggers",
        "s: job a: grants no explicit permissions (the called jobs get the repository default)",
        "s: job a: w.yml job a requests 'id-token: write' but the caller grants 'id-token: none'",
        "s: job a: required input `must` of w.yml is not passed",
        "s: job a: required secret `KEY` of w.yml is not passed",
        "s: job b: calls gone.yml, which does not exist",
    ]


def test_check_self_references_finds_bare_and_dangling_paths(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / "actions" / "real").mkdir(parents=True)
    (tmp_path / "actions" / "real" / "action.yml").write_text("name: x\n", encoding="utf-8")
    (tmp_path / ".github" / "workflows" / "w.yml").write_text(
        "jobs:\n  a:\n    steps:\n      - uses: $/\n      - uses: $/actions/gone\n      - uses: $/actions/real\n",
        encoding="utf-8",
    )
    assert check_self_references(tmp_path) == [
        ".github/workflows/w.yml:4: bare `$/` (the runner expects {org}/{repo}[/path]@ref)",
        ".github/workflows/w.yml:5: `$/actions/gone` holds no action.yml",
    ]


def test_readme_snippets_are_extracted_with_their_indentation(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("x\n\n   ```yaml\n   a:\n     b: 1\n   ```\n", encoding="utf-8")
    assert readme_snippets(readme) == [Snippet("README.md:3", "a:\n  b: 1")]


# --- the checks pass on what we publish ------------------------------------------------------------------


def test_no_bare_or_dangling_self_reference() -> None:
    assert check_self_references() == []


ALL_SNIPPETS = readme_snippets() + [s for p in sorted(WORKFLOWS.glob("*.yml")) for s in header_snippets(p)]


@pytest.mark.parametrize("snippet", ALL_SNIPPETS, ids=lambda s: s.where)
def test_caller_snippet_works_against_the_called_workflow(snippet: Snippet) -> None:
    findings, _ = check_caller(snippet)
    assert findings == []


@pytest.mark.parametrize("workflow", public_workflows(), ids=lambda p: p.name)
def test_every_reusable_workflow_has_a_readme_caller(workflow: Path) -> None:
    called = set()
    for snippet in readme_snippets():
        called |= check_caller(snippet)[1]
    assert workflow.name in called, f"README.md has no caller snippet for {workflow.name}"


@pytest.mark.parametrize("workflow", public_workflows(), ids=lambda p: p.name)
def test_every_reusable_workflow_header_has_a_caller(workflow: Path) -> None:
    (snippet,) = header_snippets(workflow)
    assert check_caller(snippet)[1] == {workflow.name}
