#!/usr/bin/env python3
"""Release checks used by .github/workflows/release.yml (standard library only; see docs/release.md).

  release.py check --tag v1.4.2        the tag is vX.Y.Z, CHANGELOG.md has a non-empty "## [1.4.2]" section,
                                       and pipelineops.__version__ is "1.4.2"
  release.py notes --tag v1.4.2        print that CHANGELOG section (the release notes)
  release.py major-tag --tag v1.4.2    print "v1" when v1.4.2 is the newest v1.x.y release (read from
                                       `git tag`, or --tags), so the major tag moves to it; else print nothing

SemVer tags never move; only the major tag vX does, and only forward.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEMVER_TAG = re.compile(r"v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
VERSION_ASSIGN = re.compile(r'^__version__\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
HEADING = re.compile(r"^## (?P<title>.+?)\s*$", re.MULTILINE)


class ReleaseError(Exception):
    """A release precondition that does not hold; the message says how to fix it."""


def parse_tag(tag: str) -> tuple[int, int, int]:
    match = SEMVER_TAG.fullmatch(tag)
    if not match:
        raise ReleaseError(
            f"tag {tag!r} is not a release tag vMAJOR.MINOR.PATCH (no pre-release or build suffix); "
            "delete it and push a tag like v1.4.2"
        )
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def changelog_section(changelog: str, version: str) -> str:
    """The body of the ``## [version]`` (or ``## version``, optionally `` - date``) section."""
    headings = list(HEADING.finditer(changelog))
    wanted = re.compile(rf"\[?v?{re.escape(version)}\]?(\s+-\s+.*)?")
    for i, heading in enumerate(headings):
        if wanted.fullmatch(heading.group("title")):
            end = headings[i + 1].start() if i + 1 < len(headings) else len(changelog)
            return changelog[heading.end() : end].strip()
    raise ReleaseError(
        f"CHANGELOG.md has no section for {version}: rename `## [UNRELEASED]` to `## [{version}] - <date>` "
        "in the release PR and add a new empty `## [UNRELEASED]` above it"
    )


def package_version(init_py: str) -> str:
    match = VERSION_ASSIGN.search(init_py)
    if not match:
        raise ReleaseError("src/pipelineops/__init__.py has no __version__ = '...' line")
    return match.group(1)


def check(tag: str, *, changelog: str, init_py: str) -> str:
    """Everything a release tag needs; returns the release notes."""
    parse_tag(tag)
    version = tag[1:]
    notes = changelog_section(changelog, version)
    if not notes:
        raise ReleaseError(
            f"the CHANGELOG.md section for {version} is empty; say what changed (or 'No user facing changes.')"
        )
    found = package_version(init_py)
    if found != version:
        raise ReleaseError(
            f'pipelineops.__version__ is {found!r} but the tag is {tag}: set __version__ = "{version}" '
            "in src/pipelineops/__init__.py in the release PR, then tag that commit"
        )
    return notes


def major_tag(tag: str, existing: Iterable[str]) -> str | None:
    """``vX`` when ``tag`` is the highest release of major X among ``existing`` (plus itself), else None."""
    version = parse_tag(tag)
    same_major = [parse_tag(t) for t in existing if SEMVER_TAG.fullmatch(t) and parse_tag(t)[0] == version[0]]
    return f"v{version[0]}" if version >= max([version, *same_major]) else None


def _git_tags() -> list[str]:
    out = subprocess.run(["git", "tag", "--list", "v*"], capture_output=True, text=True, check=True, cwd=ROOT)
    return out.stdout.split()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("check", "notes", "major-tag"):
        p = sub.add_parser(name)
        p.add_argument("--tag", required=True)
        p.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
        if name == "major-tag":
            p.add_argument("--tags", nargs="*", help="existing tags (default: `git tag --list 'v*'`)")
    args = parser.parse_args(argv)
    try:
        if args.command == "major-tag":
            move = major_tag(args.tag, _git_tags() if args.tags is None else args.tags)
            print(move or "")
            if move is None:
                print(f"{args.tag} is not the newest release of its major version: vX stays", file=sys.stderr)
            return 0
        notes = check(
            args.tag,
            changelog=(args.root / "CHANGELOG.md").read_text(encoding="utf-8"),
            init_py=(args.root / "src" / "pipelineops" / "__init__.py").read_text(encoding="utf-8"),
        )
    except (ReleaseError, OSError) as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    if args.command == "notes":
        print(notes)
    else:
        print(f"{args.tag}: tag, CHANGELOG.md section and package version agree")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
