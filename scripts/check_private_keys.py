#!/usr/bin/env python3
"""Reject private keys before they are committed: PEM private-key blocks in any file, and key files by name.

A pre-commit hook (``check-private-keys`` in ``.pre-commit-hooks.yaml``). detect-secrets does not recognise
``ENCRYPTED PRIVATE KEY`` blocks, which is the form Snowflake key-pair auth uses (``rsa_key.p8``), so this
hook covers every PEM private-key header and forbids the key file extensions outright.

Usage: check_private_keys.py FILE... ; exit 1 when any file is rejected. Standard library only, so the
hook needs no environment of its own.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

# "-----BEGIN " + optional words (RSA, EC, DSA, OPENSSH, ENCRYPTED, ...) + "PRIVATE KEY-----"
PEM_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
FORBIDDEN_SUFFIXES = (".p8", ".pem", ".p12", ".pfx")
FIX = (
    "remove the file from the commit (git rm --cached <file>) and keep the key in a secret store; "
    "CI reads it from the SNOWFLAKE_PRIVATE_KEY secret. If the key was ever pushed, rotate it: "
    "ALTER USER <user> SET RSA_PUBLIC_KEY_2 = '<new>' then UNSET RSA_PUBLIC_KEY (runbooks/key-rotation.md)"
)


def problems(path: Path) -> list[str]:
    """What is wrong with ``path``: a forbidden key-file name and/or private-key blocks (with line numbers)."""
    found = []
    if path.suffix.lower() in FORBIDDEN_SUFFIXES:
        found.append(
            f"{path}: key files ({', '.join('*' + s for s in FORBIDDEN_SUFFIXES)}) must not be committed"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [*found, f"{path}: cannot read ({exc.strerror})"]
    for match in PEM_PRIVATE_KEY.finditer(data):
        line = data.count(b"\n", 0, match.start()) + 1
        header = match.group().decode("ascii")
        found.append(f"{path}:{line}: private key block {header}")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("filenames", nargs="*", type=Path)
    args = parser.parse_args(argv)
    found = [line for path in args.filenames for line in problems(path)]
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"fix: {FIX}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
