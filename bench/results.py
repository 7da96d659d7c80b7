"""What a benchmark returns, and the JSON and Markdown it is written as."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

Cell = str | int | float | bool | None


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Ratio:
    name: str
    value: float
    meaning: str  # how to read it


@dataclass(frozen=True)
class BenchResult:
    name: str
    title: str
    params: Mapping[str, Cell]
    tables: tuple[Table, ...]
    ratios: tuple[Ratio, ...]
    checks: Mapping[str, Cell] = field(
        default_factory=dict
    )  # invariants measured on the way (e.g. mixed reads)
    notes: tuple[str, ...] = ()
    skipped: str = ""  # why the benchmark did not run


def _clean(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def to_dict(result: BenchResult) -> dict[str, object]:
    data = asdict(result)
    data["params"] = dict(result.params)
    data["checks"] = dict(result.checks)
    cleaned = _clean(data)
    assert isinstance(cleaned, dict)
    return cleaned


def _cell(value: Cell) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def _table(headers: tuple[str, ...], rows: tuple[tuple[Cell, ...], ...]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(run: Mapping[str, object], results: tuple[BenchResult, ...]) -> str:
    machine = run["machine"]
    assert isinstance(machine, Mapping)
    lines = [
        "# PipelineOps benchmark results",
        "",
        f"Mode: **{run['mode']}**"
        + (f", only `{run['only']}`" if run.get("only") else "")
        + f"; started {run['started_at']}, took {run['duration_s']} s. "
        "Absolute times depend on the machine and its load: compare the ratios.",
        "",
        "## Machine",
        "",
        *_table(("key", "value"), tuple((str(k), _cell(v)) for k, v in machine.items())),
        "",
        "## Ratios",
        "",
        *_table(
            ("benchmark", "ratio", "value", "how to read it"),
            tuple((r.name, x.name, x.value, x.meaning) for r in results for x in r.ratios),
        ),
    ]
    for r in results:
        lines += ["", f"## {r.title} (`{r.name}`)", ""]
        if r.skipped:
            lines += [f"Skipped: {r.skipped}"]
            continue
        lines += ["Parameters: " + ", ".join(f"{k} = {_cell(v)}" for k, v in r.params.items()), ""]
        for t in r.tables:
            lines += [f"**{t.title}**", "", *_table(t.headers, t.rows), ""]
        if r.checks:
            lines += ["Checks: " + ", ".join(f"{k} = {_cell(v)}" for k, v in r.checks.items()), ""]
        lines += [f"- {n}" for n in r.notes]
    return "\n".join(lines).rstrip() + "\n"


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def from_dict(data: Mapping[str, object]) -> BenchResult:
    """A result as ``to_dict`` wrote it (``latest.json``), back as a ``BenchResult``."""

    def seq(key: str) -> list[Mapping[str, object]]:
        value = data.get(key) or []
        assert isinstance(value, list)
        return value

    params = data.get("params") or {}
    checks = data.get("checks") or {}
    assert isinstance(params, Mapping) and isinstance(checks, Mapping)
    return BenchResult(
        name=str(data["name"]),
        title=str(data["title"]),
        params=dict(params),
        tables=tuple(
            Table(
                str(t["title"]),
                tuple(str(h) for h in t["headers"]),  # type: ignore[attr-defined]
                tuple(tuple(row) for row in t["rows"]),  # type: ignore[attr-defined]
            )
            for t in seq("tables")
        ),
        ratios=tuple(Ratio(str(x["name"]), _number(x["value"]), str(x["meaning"])) for x in seq("ratios")),
        checks=dict(checks),
        notes=tuple(str(n) for n in data.get("notes") or ()),  # type: ignore[attr-defined]
        skipped=str(data.get("skipped") or ""),
    )


def merged(
    out_dir: Path, run: Mapping[str, object], results: tuple[BenchResult, ...]
) -> tuple[BenchResult, ...]:
    """``results`` plus the benchmarks of the previous ``latest.json`` that this run did not run (each with a
    note naming the run that measured it), in the previous order with new benchmarks last."""
    path = out_dir / "latest.json"
    if not path.is_file():
        return results
    before = json.loads(path.read_text(encoding="utf-8"))
    fresh = {r.name: r for r in results}
    out: list[BenchResult] = []
    for item in before.get("benchmarks", []):
        if item["name"] in fresh:
            out.append(fresh.pop(item["name"]))
            continue
        old = from_dict(item)
        machine = before.get("machine") or {}
        note = (
            f"Measured in the run started {before.get('started_at')} ({before.get('mode')} mode, git sha "
            f"{machine.get('git sha', '?')}, load average at start {machine.get('load average at start (1/5/15 min)', '?')})."
        )
        dated = any(n.startswith("Measured in the run started") for n in old.notes)
        out.append(old if dated else replace(old, notes=(*old.notes, note)))
    return (*out, *fresh.values())


def write(out_dir: Path, run: Mapping[str, object], results: tuple[BenchResult, ...]) -> str:
    """Write ``latest.json`` and ``latest.md`` into ``out_dir``, keeping the entries of benchmarks this run
    did not run; return the Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = merged(out_dir, run, results)
    data = {**run, "benchmarks": [to_dict(r) for r in results]}
    (out_dir / "latest.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    text = render_markdown(run, results)
    (out_dir / "latest.md").write_text(text, encoding="utf-8")
    return text
