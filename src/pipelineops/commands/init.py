"""``pipelineops init``: set up PipelineOps in a consumer dbt repository (run from its root).

Reads the project (``dbt_project.yml``, its macros, and ``dbt parse`` on a local-engine profile of its own)
and writes — or, with ``--dry-run``, shows as a unified diff — the files ``plan/init.py`` derives. Existing
files only get additive edits; a second run changes nothing. Nothing here opens a warehouse or reads a secret.
"""

from __future__ import annotations

import importlib.metadata
import logging
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import yaml

import pipelineops
from pipelineops import __version__
from pipelineops.dbt.artifacts import load_json, relation_nodes
from pipelineops.dbt.runner import DbtRunner
from pipelineops.engines.duckdb import local_paths
from pipelineops.errors import UserError
from pipelineops.plan import init as plan
from pipelineops.plan.callers import CALLERS
from pipelineops.report.model import Section, StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)
REPO_URL = "https://github.com/pipelineops/actions"
RUNBOOK = "configuration.md"


def find_project(root: Path, project_dir: str) -> Path:
    candidates = [project_dir] if project_dir else [".", "dbt"]
    for rel in candidates:
        if (root / rel / "dbt_project.yml").is_file():
            return (root / rel).resolve()
    raise UserError(
        f"no dbt project found in {', '.join(str(root / c) for c in candidates)} (dbt_project.yml missing)",
        fix="run `pipelineops init` at the root of your dbt repository, or pass --project-dir FOLDER",
        runbook=RUNBOOK,
    )


def project_file(project: Path) -> dict[str, Any]:
    return cast(
        dict[str, Any], yaml.safe_load((project / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    )


def macro_files(project: Path, data: Mapping[str, Any]) -> list[Path]:
    paths = cast(list[str], data.get("macro-paths") or ["macros"])
    found = [p for rel in paths for p in sorted((project / rel).rglob("*.sql"))]
    return [p for p in found if p.name != plan.MACRO_FILE]


def parse_schemas(root: Path, project: Path, profile: str) -> tuple[tuple[str, ...], str]:
    """(schemas the models land in, the raw schema: where seeds land, else RAW) from a real ``dbt parse``."""
    with tempfile.TemporaryDirectory(prefix="pipelineops-init-") as tmp:
        profiles = Path(tmp) / "profiles"
        profiles.mkdir()
        (profiles / "profiles.yml").write_text(plan.profiles_yaml(profile), encoding="utf-8")
        local = root / ".pipelineops" / "warehouse" / "prod"
        runner = DbtRunner(
            project_dir=project,
            profiles_dir=profiles,
            target="local_prod",
            env={
                "PIPELINEOPS_LOCAL_DIR": str(local),
                "PIPELINEOPS_DUCKDB_EXTENSION_DIR": str(local_paths(local)[2]),
            },
            target_path=Path(tmp) / "target",
            log_path=Path(tmp) / "logs",
        )
        result = runner.run(("parse",))
        if not result.ok:
            raise UserError(
                "dbt parse failed: pipelineops init reads the project through it",
                why="\n".join(result.output_tail[-10:]),
                fix="fix the error dbt names (run `dbt parse` in the project), then run init again",
                runbook=RUNBOOK,
            )
        nodes = relation_nodes(load_json(result.target_path / "manifest.json"))
    models = plan.consumer_schemas(n.schema for n in nodes if n.resource_type != "seed")
    seeds = Counter(n.schema.upper() for n in nodes if n.resource_type == "seed")
    return models, (seeds.most_common(1)[0][0] if seeds else "RAW")


def own_sha() -> str:
    """The commit PipelineOps was installed from (pip's record of a git URL), or of the checkout this CLI
    runs from; '' when neither is known."""
    try:
        recorded = importlib.metadata.distribution("pipelineops").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        recorded = None
    if plan.installed_commit(recorded):
        return plan.installed_commit(recorded)
    source = Path(pipelineops.__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return out if plan.is_sha(out) else ""


def read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def changes(root: Path, project: Path, sha: str) -> list[plan.FileChange]:
    data = project_file(project)
    profile = str(data.get("profile", ""))
    if not profile:
        raise UserError(f"{project / 'dbt_project.yml'} names no profile", fix="add `profile: <name>` to it")
    rel_project = project.relative_to(root).as_posix() if project != root else "."
    macros = macro_files(project, data)
    texts = {p: p.read_text(encoding="utf-8") for p in macros}
    out: list[plan.FileChange] = []
    config = root / "pipelineops.yml"
    if not config.exists():
        schemas, raw = parse_schemas(root, project, profile)
        if not schemas:
            raise UserError("the project has no model to publish", fix="add a model, then run init again")
        new = plan.config_yaml(project_dir=rel_project, consumer_schemas=schemas, raw_schema=raw)
        out.append(plan.FileChange("pipelineops.yml", None, new))
    profiles = root / plan.PROFILES_DIR / "profiles.yml"
    out.append(
        plan.FileChange(
            profiles.relative_to(root).as_posix(),
            read(profiles),
            read(profiles) or plan.profiles_yaml(profile),
        )
    )
    for path, text in texts.items():
        if plan.defines_schema_macro(text):
            out.append(
                plan.FileChange(path.relative_to(root).as_posix(), text, plan.rename_schema_macro(text))
            )
    paths = cast(list[str], data.get("macro-paths") or ["macros"])
    ours = project / paths[0] / plan.MACRO_FILE
    out.append(
        plan.FileChange(
            ours.relative_to(root).as_posix(),
            read(ours),
            read(ours) or plan.composed_macro(plan.macro_base(texts.values())),
        )
    )
    out.append(
        plan.FileChange(".gitignore", read(root / ".gitignore"), plan.gitignore(read(root / ".gitignore")))
    )
    if sha:
        hooks = root / ".pre-commit-config.yaml"
        out.append(
            plan.FileChange(hooks.name, read(hooks), plan.precommit(read(hooks), REPO_URL, sha, __version__))
        )
        for rel, template in CALLERS.items():
            old = read(root / rel)
            new = old or plan.caller(template, sha=sha, version=__version__, project_dir=rel_project)
            out.append(plan.FileChange(rel, old, new))
    return out


def run(
    *,
    config: object,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    project_dir: str = "",
    pipelineops_ref: str = "",
) -> StageReport:
    started = time.monotonic()
    del config, env_name
    root = Path.cwd().resolve()
    if pipelineops_ref and not plan.is_sha(pipelineops_ref):
        raise UserError(
            f"--pipelineops-ref {pipelineops_ref!r} is not a full commit SHA (40 lowercase hex digits)",
            fix="pass the full SHA of the PipelineOps release commit (git rev-parse vX.Y.Z^{commit})",
        )
    sha = pipelineops_ref or own_sha()
    if not sha:
        reporter.warning(
            "caller workflows and the pre-commit entry are not written: no PipelineOps commit to pin",
            title="pipelineops init",
        )
    project = find_project(root, project_dir)
    found = changes(root, project, sha)
    todo = [c for c in found if c.changed]
    if not dry_run:
        for change in todo:
            path = root / change.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(change.new, encoding="utf-8")
    rows = tuple(
        (c.path, "unchanged" if not c.changed else ("create" if c.old is None else "edit")) for c in found
    )
    verb = "would change" if dry_run else "changed"
    title = f"{len(todo)} file(s) {verb}" + (" (dry run: nothing written)" if dry_run else "")
    if not todo:
        title = "nothing to change: the repository is set up"
    sections = [Section("Files", ("file", "action"), rows)]
    if dry_run and todo:
        sections.append(Section("Diff", text="\n".join(plan.unified_diff(c) for c in todo)))
    return StageReport(
        stage="init",
        conclusion="skipped" if dry_run else "success",
        title=title,
        facts=(("repository", str(root)), ("dbt project", str(project)), ("pinned commit", sha or "none")),
        sections=tuple(sections),
        outputs=(("changed-count", str(len(todo))),),
        duration_s=time.monotonic() - started,
        data={"changes": [{"path": c.path, "action": a} for c, (_, a) in zip(found, rows, strict=True)]},
    )
