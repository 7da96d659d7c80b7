"""dbt's structured log (``--log-format json``): the text line of each event, and node progress events.

Progress is read from the events' fields (``LogStartLine``, the ``Log*Result`` events, ``SkippingDetails``
and their ``node_info``), never from dbt's text. The text line is rebuilt as dbt's text format prints it
(``HH:MM:SS  message``), so logs and error tails read as before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipelineops.report.progress import Outcome, PreviousRun, ProgressEvent, UnitFinished, UnitStarted

log = logging.getLogger(__name__)

#: dbt subcommands that log each node's start and result, and the verb their progress is told with
#: (``dbt clone`` logs neither, so it has no progress to show)
VERBS: Mapping[str, str] = {
    "build": "built",
    "run": "ran",
    "test": "tested",
    "seed": "seeded",
    "snapshot": "snapshotted",
}

#: events that end one node (``LogBatchResult`` ends one batch of a microbatch model, not the node)
RESULT_EVENTS = frozenset(
    {
        "LogModelResult",
        "LogTestResult",
        "LogSeedResult",
        "LogSnapshotResult",
        "LogFreshnessResult",
        "LogNodeResult",
        "LogNodeNoOpResult",
        "LogFunctionResult",
    }
)

OUTCOMES: Mapping[str, Outcome] = {
    "success": "ok",
    "pass": "ok",
    "no-op": "ok",
    "reused": "ok",
    "warn": "warned",
    "error": "failed",
    "fail": "failed",
    "runtime error": "failed",
    "partial success": "failed",
    "skipped": "skipped",
}


def progress_verb(args: Sequence[str]) -> str | None:
    """``built`` for ``dbt build …``, ``checked`` for ``dbt source freshness``; None when dbt runs no nodes."""
    if not args:
        return None
    if args[0] == "source" and len(args) > 1 and args[1] == "freshness":
        return "checked"
    return VERBS.get(args[0])


@dataclass(frozen=True)
class LogLine:
    text: tuple[str, ...]
    event: ProgressEvent | None = None


def _text(info: Mapping[str, object]) -> tuple[str, ...]:
    msg = str(info.get("msg", ""))
    if info.get("name") == "PrintEvent":
        return tuple(msg.split("\n"))
    try:
        stamp = datetime.fromisoformat(str(info.get("ts", "")).replace("Z", "+00:00")).strftime("%H:%M:%S")
    except ValueError:
        stamp = "--:--:--"
    first, *rest = msg.split("\n")
    return (f"{stamp}  {first}", *rest)


def _event(name: str, data: Mapping[str, object]) -> ProgressEvent | None:
    node = data.get("node_info")
    if not isinstance(node, Mapping) or not node.get("unique_id"):
        return None
    unit_id = str(node["unique_id"])
    total = data.get("total")
    total = total if isinstance(total, int) else None
    if name == "LogStartLine":
        label = f"{node.get('resource_type', 'node')} {node.get('node_name', unit_id)}"
        return UnitStarted(unit_id, label, total)
    if name == "SkippingDetails":
        return UnitFinished(unit_id, "skipped", total)
    if name in RESULT_EVENTS:
        status = str(data.get("status", "")).lower()
        outcome = OUTCOMES.get(status) or OUTCOMES.get(str(node.get("node_status", "")).lower(), "ok")
        return UnitFinished(unit_id, outcome, total)
    return None


def parse_line(line: str) -> LogLine:
    """One line dbt printed with ``--log-format json``; anything else (a Python warning) is kept as is."""
    try:
        record = json.loads(line)
    except ValueError:
        return LogLine((line,))
    if not isinstance(record, dict) or not isinstance(record.get("info"), dict):
        return LogLine((line,))
    info = record["info"]
    data = record.get("data")
    event = _event(str(info.get("name", "")), data) if isinstance(data, dict) else None
    return LogLine(_text(info), event)


def previous_run(target_path: Path, command: str | None = None) -> PreviousRun | None:
    """Per-node seconds of the last run in ``target_path`` (its ``run_results.json``), if there is one and
    it ran the same dbt ``command`` (a ``clone`` before a ``build`` in the same folder says nothing of it)."""
    path = target_path / "run_results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        which = data.get("args", {}).get("which")
        if command is not None and which is not None and which != command:
            log.debug("previous run in %s was dbt %s, not %s", path, which, command)
            return None
        seconds = {
            str(r["unique_id"]): float(r["execution_time"])
            for r in data.get("results", [])
            if r.get("unique_id") and isinstance(r.get("execution_time"), int | float)
        }
        elapsed = data.get("elapsed_time")
    except (OSError, ValueError, AttributeError, KeyError, TypeError) as exc:
        log.debug("no previous run timings in %s: %s", path, exc)
        return None
    if not seconds:
        return None
    return PreviousRun(seconds, float(elapsed) if isinstance(elapsed, int | float) else None)
