#!/usr/bin/env python3
"""Check that YAML files parse, with no duplicate keys (PyYAML silently keeps the last one; GitHub and
dbt then see a different file from the one you reviewed).

A pre-commit hook (``check-yaml`` in ``.pre-commit-config.yaml``). Multi-document files are allowed.
Usage: check_yaml.py FILE... ; exit 1 when any file fails.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError


def check(path: Path) -> str | None:
    """``None`` when ``path`` is valid YAML without duplicate keys, else the error in one block."""
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        with path.open(encoding="utf-8") as handle:
            for _ in yaml.load_all(handle):
                pass
    except (YAMLError, UnicodeDecodeError, OSError) as exc:
        return f"{path}: {exc}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check that YAML files parse, without duplicate keys.")
    parser.add_argument("filenames", nargs="*", type=Path)
    args = parser.parse_args(argv)
    errors = [err for path in args.filenames if (err := check(path))]
    for err in errors:
        print(err, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
