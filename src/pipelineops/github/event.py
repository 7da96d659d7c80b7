"""The workflow event, read from ``$GITHUB_EVENT_PATH`` so tests can feed saved payloads (STYLE.md §5)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipelineops.errors import UserError

logger = logging.getLogger(__name__)

_FIX = "run inside GitHub Actions, or point GITHUB_EVENT_PATH at a saved event payload (JSON)"


def _bad(what: str, why: str) -> UserError:
    return UserError(what, why=why, fix=_FIX, runbook="github-event.md")


def _str(mapping: Mapping[str, object], key: str) -> str | None:
    value = mapping.get(key)
    return value if isinstance(value, str) and value else None


def _obj(mapping: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Event:
    """What the workflow run is about; pull request fields are None for other events."""

    name: str
    repository: str
    action: str | None = None
    pr_number: int | None = None
    head_sha: str | None = None
    head_ref: str | None = None
    base_ref: str | None = None
    head_repository: str | None = None
    merged: bool = False
    ref: str | None = None
    sha: str | None = None

    @property
    def is_pull_request(self) -> bool:
        return self.pr_number is not None

    @property
    def is_fork(self) -> bool:
        """A PR from another repository: its token is read-only and its secrets are withheld."""
        return self.head_repository is not None and self.head_repository != self.repository

    @classmethod
    def from_path(cls, path: str | os.PathLike[str] | None, *, event_name: str | None = None) -> Event:
        """Read and validate the payload; ``event_name`` is ``$GITHUB_EVENT_NAME`` (not in the payload)."""
        if not path:
            raise _bad("GITHUB_EVENT_PATH is not set.", "no workflow event to read")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise _bad(
                f"Cannot read the event payload {os.fspath(path)!r}.", exc.strerror or str(exc)
            ) from exc
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _bad(f"The event payload {os.fspath(path)!r} is not valid JSON.", str(exc)) from exc
        if not isinstance(payload, dict):
            raise _bad(f"The event payload {os.fspath(path)!r} is not a JSON object.", "unexpected payload")
        return cls.from_payload(payload, event_name=event_name)

    @classmethod
    def from_payload(cls, payload: Mapping[str, object], *, event_name: str | None = None) -> Event:
        repository = _str(_obj(payload, "repository"), "full_name")
        if repository is None:
            raise _bad("The event payload has no repository.full_name.", "it is not a GitHub event payload")
        pull = _obj(payload, "pull_request")
        name = event_name or ("pull_request" if pull else "unknown")
        if not pull:
            return cls(
                name=name,
                repository=repository,
                action=_str(payload, "action"),
                ref=_str(payload, "ref"),
                sha=_str(payload, "after"),
            )
        number = pull.get("number", payload.get("number"))
        if not isinstance(number, int) or isinstance(number, bool):
            raise _bad("The pull_request event has no PR number.", f"pull_request.number is {number!r}")
        head, base = _obj(pull, "head"), _obj(pull, "base")
        return cls(
            name=name,
            repository=repository,
            action=_str(payload, "action"),
            pr_number=number,
            head_sha=_str(head, "sha"),
            head_ref=_str(head, "ref"),
            base_ref=_str(base, "ref"),
            head_repository=_str(_obj(head, "repo"), "full_name"),
            merged=pull.get("merged") is True,
        )
