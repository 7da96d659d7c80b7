#!/usr/bin/env python3
"""Generate the input and output tables of each action's README.md from its action.yml.

For the root ``action.yml`` and every ``actions/*/action.yml``, the tables are written into the README.md
next to it, between ``<!-- action-docs:inputs -->`` … ``<!-- /action-docs:inputs -->`` and
``<!-- action-docs:outputs -->`` … ``<!-- /action-docs:outputs -->``. Everything outside the markers
(Quickstart, permissions table, Snowflake grants) is written by hand and left alone.

  scripts/action_docs.py            regenerate the tables (creates a README or the marker sections if missing)
  scripts/action_docs.py --check    change nothing; exit 1 and list every README that is out of date (CI)
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("inputs", "outputs")
REGENERATE = "python scripts/action_docs.py"


class ActionDocsError(Exception):
    """An action.yml or README.md that the generator cannot work with."""


def _markers(kind: str) -> tuple[str, str]:
    return f"<!-- action-docs:{kind} -->", f"<!-- /action-docs:{kind} -->"


def _cell(text: str) -> str:
    """Any text as one markdown table cell: paragraphs kept as <br>, lines unwrapped, ``|`` escaped."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip())]
    return "<br>".join(p for p in paragraphs if p).replace("|", "\\|")


def _code(value: str) -> str:
    fence = "``" if "`" in value else "`"
    pad = " " if "`" in value else ""
    return f"{fence}{pad}{value}{pad}{fence}".replace("|", "\\|")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def inputs_table(inputs: Mapping[str, Mapping[str, object]]) -> str:
    if not inputs:
        return "This action has no inputs."
    rows = ["| Input | Description | Required | Default |", "| --- | --- | --- | --- |"]
    for name, spec in inputs.items():
        description = _cell(_text(spec.get("description")))
        if spec.get("deprecationMessage"):
            description = f"**Deprecated:** {_cell(_text(spec['deprecationMessage']))}<br>{description}"
        required = "yes" if spec.get("required") is True else "no"
        default = _code(_text(spec["default"])) if "default" in spec else ""
        if default == "``":
            default = '`""`'
        rows.append(f"| `{name}` | {description} | {required} | {default} |")
    return "\n".join(rows)


def outputs_table(outputs: Mapping[str, Mapping[str, object]]) -> str:
    if not outputs:
        return "This action has no outputs."
    rows = ["| Output | Description |", "| --- | --- |"]
    rows += [f"| `{name}` | {_cell(_text(spec.get('description')))} |" for name, spec in outputs.items()]
    return "\n".join(rows)


@dataclass(frozen=True)
class Action:
    path: Path
    name: str
    description: str
    tables: dict[str, str]

    @property
    def readme(self) -> Path:
        return self.path.parent / "README.md"


def _section(value: object, kind: str, path: Path) -> Mapping[str, Mapping[str, object]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping | None) for v in value.values()):
        raise ActionDocsError(f"{path}: `{kind}` must map each name to its settings")
    return {str(k): (v or {}) for k, v in value.items()}


def load_action(path: Path) -> Action:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ActionDocsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ActionDocsError(f"{path}: not an action definition (expected a mapping)")
    tables = {
        "inputs": inputs_table(_section(data.get("inputs"), "inputs", path)),
        "outputs": outputs_table(_section(data.get("outputs"), "outputs", path)),
    }
    return Action(path, _text(data.get("name")) or path.parent.name, _text(data.get("description")), tables)


def render(readme: str | None, action: Action) -> str:
    """``readme`` with both tables regenerated; a new README (or new sections) when markers are missing."""
    if readme is None:
        readme = f"# {action.name}\n\n{action.description.strip()}\n".replace("\n\n\n", "\n\n")
    for kind in KINDS:
        start, end = _markers(kind)
        block = f"{start}\n{action.tables[kind]}\n{end}"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
        found = len(pattern.findall(readme))
        if found > 1 or readme.count(start) != found or readme.count(end) != found:
            raise ActionDocsError(
                f"{action.readme}: the {kind} markers must appear once, as a pair: {start} … {end}"
            )
        if found:
            readme = pattern.sub(block.replace("\\", "\\\\"), readme)
        else:
            readme = f"{readme.rstrip()}\n\n## {kind.capitalize()}\n\n{block}\n"
    return readme


def find_actions(root: Path) -> list[Path]:
    candidates = [root / "action.yml", root / "action.yaml"]
    candidates += sorted((root / "actions").glob("*/action.y*ml"))
    return [p for p in candidates if p.is_file() and p.suffix in (".yml", ".yaml")]


def run(root: Path, *, check: bool) -> tuple[list[Path], list[str]]:
    """Regenerate (or with ``check``, compare) every README; return the drifted READMEs and the errors."""
    drifted: list[Path] = []
    errors: list[str] = []
    for path in find_actions(root):
        try:
            action = load_action(path)
            current = action.readme.read_text(encoding="utf-8") if action.readme.is_file() else None
            wanted = render(current, action)
        except ActionDocsError as exc:
            errors.append(str(exc))
            continue
        if wanted != current:
            drifted.append(action.readme)
            if not check:
                action.readme.write_text(wanted, encoding="utf-8")
    return drifted, errors


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate action README input/output tables from action.yml."
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a README is stale")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    drifted, errors = run(root, check=args.check)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    for readme in drifted:
        shown = readme.relative_to(root)
        if args.check:
            print(f"{shown}: out of date with its action.yml; run `{REGENERATE}` and commit", file=sys.stderr)
        else:
            print(f"updated {shown}")
    return 1 if errors or (args.check and drifted) else 0


if __name__ == "__main__":
    raise SystemExit(main())
