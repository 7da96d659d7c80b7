"""The parse cache hits only when nothing dbt reads at parse time changed."""

from __future__ import annotations

import os
import time
from pathlib import Path

from pipelineops.dbt import parse_cache


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: p\n")
    (root / "models" / "a.sql").write_text("select 1 as x\n")
    (root / "target").mkdir()
    (root / "target" / "junk.json").write_text("{}")
    return root


def key(root: Path, *, args: tuple[str, ...] = ("parse",), env: dict[str, str] | None = None) -> str:
    return parse_cache.cache_key(
        project_dir=root, profiles_dir=root, args=args, env=env or {"A": "1"}, version="1"
    )


def test_key_is_stable_and_ignores_target_and_volatile_env(tmp_path: Path) -> None:
    root = project(tmp_path)
    k = key(root)
    (root / "target" / "junk.json").write_text('{"changed": true}')
    assert key(root) == k
    assert key(root, env={"A": "1", "PIPELINEOPS_CHAOS_KILL_AFTER": "build:started", "PWD": "/x"}) == k


def test_key_changes_with_files_args_env_and_profiles(tmp_path: Path) -> None:
    root = project(tmp_path)
    k = key(root)
    assert key(root, args=("parse", "--vars", "{}")) != k
    assert key(root, env={"A": "2"}) != k
    (root / "models" / "a.sql").write_text("select 2 as x\n")
    k2 = key(root)
    assert k2 != k
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "profiles.yml").write_text("p: {}\n")
    with_profiles = parse_cache.cache_key(
        project_dir=root, profiles_dir=profiles, args=("parse",), env={"A": "1"}, version="1"
    )
    (profiles / "profiles.yml").write_text("p: {target: x}\n")
    assert (
        parse_cache.cache_key(
            project_dir=root, profiles_dir=profiles, args=("parse",), env={"A": "1"}, version="1"
        )
        != with_profiles
    )


def test_store_lookup_and_prune(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"nodes": {}}')
    assert parse_cache.lookup(cache, "k0") is None
    for i in range(parse_cache.KEEP + 2):
        parse_cache.store(cache, f"k{i}", manifest)
        os.utime(cache / f"k{i}", (time.time() - 1000 + i, time.time() - 1000 + i))
    found = parse_cache.lookup(cache, f"k{parse_cache.KEEP + 1}")
    assert found is not None and found.read_text() == '{"nodes": {}}'
    assert len([p for p in cache.iterdir() if p.is_dir()]) == parse_cache.KEEP
    assert parse_cache.lookup(cache, "k0") is None
