"""Machine-readable rendering for ``--json``: fixed top-level keys, deterministic order, data included."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from pipelineops.report.model import StageReport, cell_text

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1


def _jsonable(value: object) -> object:
    """Mappings get sorted string keys, sequences become lists; anything else exotic becomes its str()."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(item) for item in value), key=repr)
    return str(value)


def report_to_dict(report: StageReport) -> dict[str, object]:
    """Every key is always present (``null``/empty when unset) so consumers need no existence checks."""
    return {
        "schema_version": SCHEMA_VERSION,
        "stage": report.stage,
        "conclusion": report.conclusion,
        "title": report.title,
        "duration_s": report.duration_s,
        "run_url": report.run_url,
        "facts": {key: cell_text(value) for key, value in report.facts},
        "outputs": {name: value for name, value in report.outputs},
        "annotations": [
            {"level": a.level, "message": a.message, "title": a.title, "file": a.file, "line": a.line}
            for a in report.annotations
        ],
        "sections": [
            {
                "title": s.title,
                "headers": list(s.headers),
                "rows": [[cell_text(cell) for cell in row] for row in s.rows],
                "text": s.text,
                "collapsed": s.collapsed,
            }
            for s in report.sections
        ],
        "failures": [
            {
                "name": f.name,
                "kind": f.kind,
                "model": f.model,
                "file": f.file,
                "line": f.line,
                "error": f.error,
            }
            for f in report.failures
        ],
        "advice": [
            {
                "text": a.text,
                "command": a.command,
                "link": {"label": a.link.label, "url": a.link.url} if a.link else None,
                "level": a.level,
            }
            for a in report.advice
        ],
        "data": _jsonable(report.data),
    }


def render_json(report: StageReport) -> str:
    """Indented JSON, UTF-8 kept readable, ending in a newline."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"
