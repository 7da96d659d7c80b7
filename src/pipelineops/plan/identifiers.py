"""Validation of every name that reaches SQL. Pure; the only gate between input and ``plan/sql.py``.

A name is a plain identifier: ASCII letters, digits and underscores, starting with a letter or underscore,
at most 128 characters. Anything else (quotes, semicolons, spaces, unicode look-alikes, 300-character
names) is refused with a ``UserError`` that names the field and the value, before anything runs.
"""

from __future__ import annotations

import re

from pipelineops.errors import UserError

MAX_LENGTH = 128
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
PR_SCHEMA = re.compile(r"CI_PR_([1-9][0-9]{0,8})(?:_([A-Z][A-Z0-9_]*))?\Z")


def _show(value: str) -> str:
    shown = value if len(value) <= 60 else value[:57] + "..."
    return ascii(shown)


def check_identifier(value: str, *, field: str) -> str:
    """Return ``value`` when it is a plain identifier; raise ``UserError`` naming ``field`` otherwise."""
    if not isinstance(value, str) or not value:
        raise UserError(f"{field} is empty", fix=f"give {field} a name such as ANALYTICS")
    if len(value) > MAX_LENGTH:
        raise UserError(
            f"{field} is {len(value)} characters long ({_show(value)})",
            fix=f"use at most {MAX_LENGTH} characters",
        )
    if not value.isascii() or not _IDENT.match(value):
        bad = sorted({c for c in value if not (c.isascii() and (c.isalnum() or c == "_"))})
        why = f"it contains {', '.join(ascii(c) for c in bad)}" if bad else "it starts with a digit"
        raise UserError(
            f"{field} = {_show(value)} is not a plain identifier",
            why=why,
            fix="use only ASCII letters, digits and underscores, starting with a letter or underscore",
        )
    return value


def check_pr_number(value: object, *, field: str = "--pr") -> int:
    """A pull-request number: a positive integer below 10^9, given as an int or its decimal string."""
    text = str(value).strip() if isinstance(value, int | str) else ""
    if isinstance(value, bool) or not re.fullmatch(r"[1-9][0-9]{0,8}", text):
        raise UserError(
            f"{field} = {_show(str(value))} is not a pull-request number",
            fix="pass the PR number as a positive integer, e.g. --pr 123 (in a workflow: "
            "github.event.pull_request.number, passed through env:)",
        )
    return int(text)


def pr_schema_base(pr: int) -> str:
    return f"CI_PR_{pr}"


def pr_of_schema(schema: str) -> int | None:
    """The PR number of a ``CI_PR_<n>[_<CUSTOM>]`` schema, or None when the name does not match exactly."""
    if not schema.isascii():  # str.upper() maps some non-ASCII letters to ASCII (U+017F -> 'S')
        return None
    m = PR_SCHEMA.match(schema.upper())
    return int(m.group(1)) if m else None
