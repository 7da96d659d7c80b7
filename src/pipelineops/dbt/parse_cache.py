"""Reuse a manifest when nothing dbt reads at parse time has changed.

A deploy parses the project (to plan) and then builds it; a dry run followed by the deploy, or a re-run
after a failure, would parse the same project again. The key covers every file of the project and the
profiles, the dbt arguments (vars, target) and the environment dbt sees (``env_var()`` may read any of
it), so a hit is the manifest dbt itself would produce.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)
SKIP_DIRS = {"target", "logs", "dbt_packages", ".git", "__pycache__"}
VOLATILE_ENV = {"PIPELINEOPS_CHAOS_KILL_AFTER", "PIPELINEOPS_CHAOS_PAUSE", "PWD", "OLDPWD", "SHLVL", "_"}
KEEP = 4


def _files(root: Path) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS for part in rel.parts) or not path.is_file():
            continue
        out.append(path)
    return out


def cache_key(
    *, project_dir: Path, profiles_dir: Path, args: Sequence[str], env: Mapping[str, str], version: str
) -> str:
    h = hashlib.sha256()
    h.update(version.encode())
    for arg in args:
        h.update(b"\0a" + arg.encode())
    for name in sorted(set(env) - VOLATILE_ENV):
        h.update(b"\0e" + name.encode() + b"=" + env[name].encode())
    roots = [project_dir] + ([profiles_dir / "profiles.yml"] if profiles_dir != project_dir else [])
    for root in roots:
        for path in _files(root) if root.is_dir() else [root] if root.is_file() else []:
            h.update(b"\0f" + str(path.relative_to(root.parent)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:32]


def lookup(cache_dir: Path, key: str) -> Path | None:
    manifest = cache_dir / key / "manifest.json"
    if manifest.is_file():
        log.debug("parse cache hit %s", key)
        return manifest
    return None


def store(cache_dir: Path, key: str, manifest: Path) -> None:
    target = cache_dir / key
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / "manifest.json.tmp"
    shutil.copyfile(manifest, tmp)
    tmp.replace(target / "manifest.json")
    entries = sorted((p for p in cache_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in entries[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)
