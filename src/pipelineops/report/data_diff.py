"""The "Data changes" of a pull request: a summary table, then one folded section per model, and JSON, also
added to another stage's report (``attach``). Pure.

Warehouse text (values, keys, types) reaches markdown only through ``_cell`` (HTML and markdown
punctuation escaped, mentions broken) or inside a fenced block; sensitive columns carry counts only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, replace

from pipelineops.plan.data_diff_results import ModelDiff
from pipelineops.report import wording
from pipelineops.report.model import Section, StageReport

logger = logging.getLogger(__name__)

TITLE = wording.DATA_CHANGES
HIDDEN = "(sensitive: values not shown)"


def _cell(value: str) -> str:
    """Warehouse text for a table cell: the Markdown renderer escapes every cell (``report.escape``);
    only ``@`` mentions are broken here, so that a value never notifies anyone."""
    return value.replace("@", "@\u200b")


def _num(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _delta(value: int | None) -> str:
    return "-" if value is None else f"{value:+,}"


def _schema_text(d: ModelDiff) -> str:
    if d.schema is None:
        return "-"
    parts = []
    if d.schema.added:
        parts.append(f"+{len(d.schema.added)} col")
    if d.schema.removed:
        parts.append(f"-{len(d.schema.removed)} col")
    if d.schema.retyped:
        parts.append(f"{len(d.schema.retyped)} retyped")
    return ", ".join(parts) or "same"


def _how(d: ModelDiff) -> str:
    if d.status == "compared":
        return f"by key ({', '.join(d.key)}); {d.sample}"
    if d.status == "profile-only":
        return f"profile-only; {d.sample}"
    if d.status == "new-model":
        return "new model: nothing in production to compare"
    return "skipped: " + "; ".join(d.notes)


def summary_row(d: ModelDiff) -> tuple[str, ...]:
    c = d.counts
    return (
        d.name,
        _schema_text(d),
        _num(d.prod_rows),
        _num(d.pr_rows),
        _delta(d.row_delta),
        _num(c.added if c else None),
        _num(c.removed if c else None),
        _num(c.changed if c else None),
        _num(c.unchanged if c else None),
        _cell(_how(d)),
    )


SUMMARY_HEADERS = (
    "model",
    "schema",
    "rows prod",
    "rows PR",
    "Δ rows",
    "added",
    "removed",
    "changed",
    "unchanged",
    "how",
)


def _facts(d: ModelDiff) -> str:
    lines = [f"PR relation:    {d.pr_relation}", f"production:     {d.prod_relation or '-'}"]
    if d.status == "compared":
        lines.append(f"key:            {', '.join(d.key)} ({d.key_source})")
    else:
        lines.append(f"key:            {d.key_source or '-'}")
    lines.append(f"rows compared:  {d.sample}")
    if d.added_keys:
        lines.append(f"keys added (first {len(d.added_keys)}):   " + " | ".join(d.added_keys))
    if d.removed_keys:
        lines.append(f"keys removed (first {len(d.removed_keys)}): " + " | ".join(d.removed_keys))
    lines += [f"note: {n}" for n in d.notes]
    return "\n".join(lines)


def _schema_rows(d: ModelDiff) -> list[tuple[str, ...]]:
    if d.schema is None:
        return []
    rows: list[tuple[str, ...]] = [
        (_cell(c.name), f"added ({_cell(c.type)})", "", "") for c in d.schema.added
    ]
    rows += [(_cell(c.name), f"removed (was {_cell(c.type)})", "", "") for c in d.schema.removed]
    rows += [
        (_cell(r.name), f"retyped {_cell(r.before)} → {_cell(r.after)}", "", "") for r in d.schema.retyped
    ]
    return rows


def _change_rows(d: ModelDiff) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for c in d.columns:
        if not c.changed:
            continue
        if c.sensitive:
            shown = HIDDEN
        else:
            shown = "<br>".join(f"{_cell(k)}: {_cell(b)} → {_cell(a)}" for k, b, a in c.examples)
        rows.append((_cell(c.name), "values changed", f"{c.pct:g}% ({c.changed:,} of {c.matched:,})", shown))
    return rows


def _pair(old: str | None, new: str | None) -> str:
    return f"{'-' if old is None else _cell(old)} → {'-' if new is None else _cell(new)}"


def _profile_rows(d: ModelDiff) -> list[tuple[str, ...]]:
    """One row per PR column; MIN/MAX not computed read as hidden (sensitive) or n/a (boolean, nested)."""
    before = {p.name.upper(): p for p in d.profile_prod}
    rows: list[tuple[str, ...]] = []
    for p in d.profile_pr:
        b = before.get(p.name.upper())
        hidden = "" if p.min is not None or p.max is not None else HIDDEN if p.sensitive else "n/a"
        rows.append(
            (
                _cell(p.name),
                f"{b.null_pct:g}% → {p.null_pct:g}%" if b else f"- → {p.null_pct:g}%",
                f"{b.distinct:,} → {p.distinct:,}" if b else f"- → {p.distinct:,}",
                hidden or _pair(b.min if b else None, p.min),
                hidden or _pair(b.max if b else None, p.max),
            )
        )
    return rows


def model_section(d: ModelDiff) -> Section:
    """One model's details, folded: where and how it was compared, then its columns."""
    head = f"{TITLE}: {d.name} — {_how(d)}"
    if d.status == "profile-only":
        return Section(
            head + " (no key: column profiles side by side, production → PR)",
            ("column", "null %", "distinct", "min", "max"),
            tuple(_schema_rows_as_profile(d) + _profile_rows(d)),
            text=_facts(d),
            collapsed=True,
        )
    rows = tuple(_schema_rows(d) + _change_rows(d))
    return Section(
        head,
        ("column", "change", "matched rows changed", "examples (key: before → after)") if rows else (),
        rows,
        text=_facts(d),
        collapsed=True,
    )


def _schema_rows_as_profile(d: ModelDiff) -> list[tuple[str, ...]]:
    return [(row[0], row[1], "", "", "") for row in _schema_rows(d)]


def sections(diffs: Sequence[ModelDiff]) -> tuple[Section, ...]:
    """The summary table first, then one folded section per model (each its own comment block)."""
    if not diffs:
        return (Section(TITLE, text="No modified model has a relation to compare."),)
    summary = Section(TITLE, SUMMARY_HEADERS, tuple(summary_row(d) for d in diffs))
    return (summary, *(model_section(d) for d in diffs if d.status != "new-model"))


def as_json(diffs: Sequence[ModelDiff]) -> list[dict[str, object]]:
    """The same numbers for other tools (``--json``): every field, plus the derived ones (JSON types only)."""
    out: list[dict[str, object]] = []
    for d in diffs:
        item = asdict(d)
        item["row_delta"] = d.row_delta
        if d.counts is not None:
            item["counts"] = {**asdict(d.counts), "unchanged": d.counts.unchanged}
            item["counts"].pop("per_column")
        item["columns"] = [{**asdict(c), "pct": c.pct} for c in d.columns]
        out.append(json.loads(json.dumps(item)))
    return out


def attach(report: StageReport, diffs: Sequence[ModelDiff]) -> StageReport:
    """``report`` with the "Data changes" sections before its folded trailing sections (the plan), and the
    numbers under ``data["data_diff"]``."""
    added = sections(diffs)
    cut = len(report.sections)
    while cut and report.sections[cut - 1].collapsed:
        cut -= 1
    merged = (*report.sections[:cut], *added, *report.sections[cut:])
    return replace(report, sections=merged, data={**report.data, "data_diff": as_json(diffs)})
