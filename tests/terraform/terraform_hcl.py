"""Load terraform/ into plain data: every block of every .tf file, parsed with python-hcl2.

python-hcl2 8.x takes `strip_string_quotes` through `SerializationOptions` (not as a keyword of
`loads`); `explicit_blocks` marks nested blocks with `__is_block__`, which is how attributes
(`privileges = [...]`) are told apart from blocks (`on_schema_object { ... }`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

OPTIONS = SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=True)
BLOCK_MARK = "__is_block__"
REF = re.compile(r"^\$\{([a-z0-9_]+)\.([a-z0-9_]+)\.([a-z0-9_]+)\}$")


@dataclass(frozen=True)
class Block:
    path: Path
    kind: str  # resource, data, provider, module, terraform, variable, output, locals
    labels: tuple[str, ...]
    body: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.path}: {self.kind} {' '.join(self.labels)}".rstrip()


@dataclass
class Config:
    """All blocks of the .tf files directly in one directory (one Terraform module)."""

    root: Path
    blocks: list[Block] = field(default_factory=list)

    def of(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.kind == kind]

    def resources(self, rtype: str | None = None) -> list[Block]:
        return [b for b in self.of("resource") if rtype is None or b.labels[0] == rtype]

    def resource(self, rtype: str, name: str) -> Block | None:
        return next((b for b in self.resources(rtype) if b.labels[1] == name), None)


def attrs(body: dict[str, Any]) -> dict[str, Any]:
    """The attributes of a block body (no nested blocks, no markers)."""
    return {k: v for k, v in body.items() if k != BLOCK_MARK and not is_block_list(v)}


def blocks(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The nested blocks of a block body, by type."""
    return {k: v for k, v in body.items() if is_block_list(v)}


def is_block_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and v.get(BLOCK_MARK) for v in value)
    )


def _labelled(kind: str, node: dict[str, Any], depth: int, prefix: tuple[str, ...] = ()) -> list[tuple]:
    if depth == 0:
        return [(prefix, node)]
    out = []
    for key, value in node.items():
        if key == BLOCK_MARK:
            continue
        out += _labelled(kind, value, depth - 1, (*prefix, key))
    return out


LABELS = {"resource": 2, "data": 2, "provider": 1, "module": 1, "variable": 1, "output": 1}


def parse_file(path: Path) -> list[Block]:
    tree = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=OPTIONS)
    found: list[Block] = []
    for kind, entries in tree.items():
        for entry in entries:
            for labels, body in _labelled(kind, entry, LABELS.get(kind, 0)):
                found.append(Block(path, kind, labels, body))
    return found


def load_module(directory: Path) -> Config:
    config = Config(directory)
    for path in sorted(directory.glob("*.tf")):
        config.blocks += parse_file(path)
    return config


def module_dirs(terraform_root: Path) -> list[Path]:
    """Every directory under terraform_root that holds .tf files (skipping .terraform caches)."""
    dirs = {p.parent for p in terraform_root.rglob("*.tf") if ".terraform" not in p.parts}
    return sorted(dirs)


def reference(value: Any) -> tuple[str, str, str] | None:
    """`${snowflake_account_role.reporter.name}` -> ("snowflake_account_role", "reporter", "name")."""
    if isinstance(value, str) and (m := REF.match(value)):
        return m.group(1), m.group(2), m.group(3)
    return None
