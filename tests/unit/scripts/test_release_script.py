"""scripts/release.py: the checks release.yml runs before it publishes and moves the major tag."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "release.py"

CHANGELOG = """# Changelog

## [UNRELEASED]

No user facing changes.

## [1.4.2] - 2026-08-01

- Fix the swap journal on retries. [#42](https://github.com/org/pipelineops/pull/42)

## [1.4.1] - 2026-07-01

## 1.4.0 - 2026-06-01

- _Breaking change_: rename `target` to `dbt-target`. [#30](https://github.com/org/pipelineops/pull/30)
"""


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("release_script", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["release_script"] = module
    spec.loader.exec_module(module)
    return module


release = _load()


def _init(version: str) -> str:
    return f'"""pkg."""\n\nfrom __future__ import annotations\n\n__version__ = "{version}"\n'


def test_check_returns_the_section_as_release_notes() -> None:
    notes = release.check("v1.4.2", changelog=CHANGELOG, init_py=_init("1.4.2"))
    assert notes == "- Fix the swap journal on retries. [#42](https://github.com/org/pipelineops/pull/42)"
    assert release.check("v1.4.0", changelog=CHANGELOG, init_py=_init("1.4.0")).startswith(
        "- _Breaking change_"
    )


@pytest.mark.parametrize("tag", ["1.4.2", "v1.4", "v1.4.2-rc.1", "v01.4.2", "v1.4.2+build", "vX"])
def test_only_plain_semver_tags_are_releases(tag: str) -> None:
    with pytest.raises(release.ReleaseError, match="is not a release tag"):
        release.check(tag, changelog=CHANGELOG, init_py=_init("1.4.2"))


def test_missing_or_empty_changelog_section_fails() -> None:
    with pytest.raises(release.ReleaseError, match=r"no section for 1\.5\.0: rename `## \[UNRELEASED\]`"):
        release.check("v1.5.0", changelog=CHANGELOG, init_py=_init("1.5.0"))
    with pytest.raises(release.ReleaseError, match=r"section for 1\.4\.1 is empty"):
        release.check("v1.4.1", changelog=CHANGELOG, init_py=_init("1.4.1"))
    # "1.4.2" must not match a "1.4.20" heading
    with pytest.raises(release.ReleaseError, match="no section"):
        release.changelog_section("## [1.4.20]\n\n- x\n", "1.4.2")


def test_package_version_must_match_the_tag() -> None:
    with pytest.raises(release.ReleaseError, match=r"__version__ is '1\.4\.1' but the tag is v1\.4\.2"):
        release.check("v1.4.2", changelog=CHANGELOG, init_py=_init("1.4.1"))
    with pytest.raises(release.ReleaseError, match="has no __version__"):
        release.check("v1.4.2", changelog=CHANGELOG, init_py="x = 1\n")


@pytest.mark.parametrize(
    ("tag", "existing", "expected"),
    [
        ("v1.4.2", ["v1.4.1", "v1", "v0.9.0"], "v1"),
        ("v1.4.2", [], "v1"),
        ("v1.3.9", ["v1.4.0", "v1", "v2.0.0"], None),  # a back-port patch never pulls v1 backwards
        ("v2.0.0", ["v1.9.9", "v1", "not-a-tag"], "v2"),
        ("v1.10.0", ["v1.9.0"], "v1"),  # numeric, not string, order
    ],
)
def test_major_tag_moves_only_forward(tag: str, existing: list[str], expected: str | None) -> None:
    assert release.major_tag(tag, existing) == expected


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False, cwd=cwd
    )


def test_cli_check_notes_and_major_tag(tmp_path: Path) -> None:
    (tmp_path / "src" / "pipelineops").mkdir(parents=True)
    (tmp_path / "src" / "pipelineops" / "__init__.py").write_text(_init("1.4.2"), encoding="utf-8")
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    ok = _cli("check", "--tag", "v1.4.2", "--root", str(tmp_path))
    assert ok.returncode == 0, ok.stderr
    notes = _cli("notes", "--tag", "v1.4.2", "--root", str(tmp_path))
    assert notes.stdout.startswith("- Fix the swap journal")
    bad = _cli("check", "--tag", "v1.5.0", "--root", str(tmp_path))
    assert bad.returncode == 1
    assert bad.stderr.startswith("release: CHANGELOG.md has no section for 1.5.0")
    missing = _cli("check", "--tag", "v1.4.2", "--root", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    move = _cli("major-tag", "--tag", "v1.3.0", "--tags", "v1.4.0")
    assert (move.returncode, move.stdout) == (0, "\n")
    assert "vX stays" in move.stderr
    assert _cli("major-tag", "--tag", "v1.5.0", "--tags").stdout == "v1\n"


def test_cli_major_tag_reads_git_tags(tmp_path: Path) -> None:
    assert _cli("major-tag", "--tag", "v999.0.0").stdout == "v999\n"  # this checkout's own tags
