"""The only code that writes GitHub workflow commands and environment files (STYLE.md §5).

Escaping and the heredoc format follow ``actions/toolkit`` ``command.ts`` and ``file-command.ts``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import TextIO

logger = logging.getLogger(__name__)


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_command(command: str, message: str = "", properties: Mapping[str, object] | None = None) -> str:
    """``::command k=v,k2=v2::message`` with empty properties left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in (properties or {}).items()
        if value is not None and str(value) != ""
    )
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def issue(
    stream: TextIO, command: str, message: str = "", properties: Mapping[str, object] | None = None
) -> None:
    stream.write(format_command(command, message, properties) + "\n")
    stream.flush()


def write_plain(stream: TextIO, text: str) -> None:
    """Log text verbatim; if a line looks like a workflow command, suspend command processing around it."""
    if any(line.lstrip().startswith("::") for line in text.splitlines()):
        token = uuid.uuid4().hex
        stream.write(f"::stop-commands::{token}\n{text.rstrip(chr(10))}\n::{token}::\n")
    else:
        stream.write(text.rstrip("\n") + "\n")
    stream.flush()


def add_mask(stream: TextIO, secret: str) -> None:
    """Mask each line separately: the runner matches masks line by line."""
    for line in secret.splitlines():
        if line.strip():
            issue(stream, "add-mask", line)


def _append(env: Mapping[str, str], variable: str, text: str) -> bool:
    path = env.get(variable, "")
    if not path:
        logger.warning("%s is not set; dropping %d characters", variable, len(text))
        return False
    with open(path, "a", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return True


def set_output(env: Mapping[str, str], name: str, value: str, *, delimiter: str | None = None) -> bool:
    """Append ``name<<delimiter`` / value / delimiter to ``$GITHUB_OUTPUT``; False when it is unset."""
    if not name or "\n" in name or "\r" in name:
        raise ValueError(f"invalid output name {name!r}")
    delimiter = delimiter or f"ghadelimiter_{uuid.uuid4()}"
    if delimiter in value or delimiter in name:
        raise ValueError(f"output {name!r} contains the delimiter {delimiter!r}")
    return _append(env, "GITHUB_OUTPUT", f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def append_summary(env: Mapping[str, str], markdown: str) -> bool:
    """Append markdown to ``$GITHUB_STEP_SUMMARY``; False when it is unset."""
    return _append(env, "GITHUB_STEP_SUMMARY", markdown.rstrip("\n") + "\n\n")
