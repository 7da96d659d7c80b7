"""A dbt manifest read into small typed facts (no ``Any``): nodes, macros, vars. Pure."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Keys of a node's config that say where or how it is built in *this* invocation, not what it is.
_VOLATILE_CONFIG = frozenset({"schema", "database", "alias"})
_PROPERTY_KEYS = ("description", "columns", "contract", "constraints", "meta", "docs", "tags")


def obj(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def str_tuple(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def canon(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class NodeFacts:
    unique_id: str
    resource_type: str
    name: str
    path: str
    patch_path: str
    checksum_name: str
    checksum: str
    materialized: str
    config: tuple[tuple[str, str], ...]
    properties: tuple[tuple[str, str], ...]
    parents: tuple[str, ...]
    macros: tuple[str, ...]
    raw_code: str


@dataclass(frozen=True)
class MacroFacts:
    unique_id: str
    checksum: str
    macros: tuple[str, ...]
    sql: str


@dataclass(frozen=True)
class ManifestFacts:
    nodes: Mapping[str, NodeFacts]
    macros: Mapping[str, MacroFacts]


def read_manifest(manifest: Mapping[str, object]) -> ManifestFacts:
    nodes: dict[str, NodeFacts] = {}
    entries = [*obj(manifest.get("nodes")).items(), *obj(manifest.get("unit_tests")).items()]
    for uid, raw in entries:
        node = obj(raw)
        config = obj(node.get("config"))
        checksum = obj(node.get("checksum"))
        depends = obj(node.get("depends_on"))
        nodes[uid] = NodeFacts(
            unique_id=uid,
            resource_type=str(node.get("resource_type") or uid.split(".", 1)[0]),
            name=str(node.get("name", uid)),
            path=str(node.get("original_file_path") or node.get("path") or ""),
            patch_path=str(node.get("patch_path") or "").split("://")[-1],
            checksum_name=str(checksum.get("name", "")),
            checksum=str(checksum.get("checksum", "")),
            materialized=str(config.get("materialized", "")),
            config=tuple(sorted((k, canon(v)) for k, v in config.items() if k not in _VOLATILE_CONFIG)),
            properties=tuple((k, canon(node.get(k))) for k in _PROPERTY_KEYS),
            parents=str_tuple(depends.get("nodes")),
            macros=str_tuple(depends.get("macros")),
            raw_code=str(node.get("raw_code") or ""),
        )
    macros: dict[str, MacroFacts] = {}
    for uid, raw in obj(manifest.get("macros")).items():
        macro = obj(raw)
        sql = str(macro.get("macro_sql", ""))
        macros[uid] = MacroFacts(uid, canon(sql), str_tuple(obj(macro.get("depends_on")).get("macros")), sql)
    return ManifestFacts(nodes, macros)


def macro_closure(macros: Iterable[str], index: Mapping[str, MacroFacts]) -> set[str]:
    """The macros ``macros`` call, directly or through other macros (``index``: the manifest's)."""
    seen: set[str] = set()
    todo = list(macros)
    while todo:
        uid = todo.pop()
        if uid in seen:
            continue
        seen.add(uid)
        found = index.get(uid)
        if found is not None:
            todo.extend(found.macros)
    return seen
