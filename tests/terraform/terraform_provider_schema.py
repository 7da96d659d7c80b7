"""The published schema of the snowflakedb/snowflake provider, read from PyPI's
cdktf-cdktf-provider-snowflake without importing it.

Importing the package starts the jsii runtime (Node). We only need the schema, and the wheel ships it
as data: `_jsii/provider-snowflake@<v>.jsii.tgz` holds `package/.jsii`, the jsii assembly (JSON). Each
resource class documents its Terraform type (`Represents a {@link .../docs/resources/warehouse
snowflake_warehouse}`); its `<Class>Config` struct lists the arguments, each documented with its
Terraform name (`{@link ...#auto_suspend Warehouse#auto_suspend}`), `optional` unless required, and a
struct type for nested blocks.
"""

from __future__ import annotations

import functools
import json
import re
import tarfile
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

DIST = "cdktf-cdktf-provider-snowflake"
CLASS_DOC = re.compile(
    r"Represents a \{@link https://registry\.terraform\.io/providers/snowflakedb/snowflake/"
    r"(?P<version>[\d.]+)/docs/(?P<kind>resources|data-sources)/\w+ (?P<type>\w+)\}"
)
PROP_DOC = re.compile(r"\{@link \S+ \w+#(?P<name>\w+)\}")
PREVIEW_LIST = re.compile(r"Preview features that can be enabled are: (?P<list>.*?)\. Promoted", re.S)
# Terraform meta-arguments and blocks accepted by every resource / data source.
META_ARGS = {"count", "for_each", "provider", "depends_on"}
META_BLOCKS = {"lifecycle", "provisioner", "connection", "dynamic"}
PROVIDER_META_ARGS = {"alias", "version"}


@dataclass(frozen=True)
class Arg:
    name: str
    required: bool
    block: bool  # a nested block (struct type) rather than an attribute
    primitive: str | None  # string, number, boolean for scalar attributes
    nested: Struct | None = None


@dataclass(frozen=True)
class Struct:
    args: dict[str, Arg] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderSchema:
    version: str
    resources: dict[str, Struct]
    data_sources: dict[str, Struct]
    provider: Struct
    preview_features: frozenset[str]


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def _assembly() -> dict[str, Any]:
    files = metadata.files(DIST) or []
    tgz = next(f for f in files if f.name.endswith(".jsii.tgz"))
    with tarfile.open(str(tgz.locate()), "r:gz") as tar:
        member = tar.extractfile("package/.jsii")
        assert member is not None
        return json.load(member)


class _Builder:
    def __init__(self, types: dict[str, Any]) -> None:
        self.types = types
        self.cache: dict[str, Struct] = {}

    def struct_fqn(self, type_ref: dict[str, Any]) -> tuple[str | None, str | None]:
        """(struct fqn if the type is a block, primitive name if it is a scalar)."""
        if "primitive" in type_ref:
            return None, type_ref["primitive"]
        if "fqn" in type_ref:
            t = self.types.get(type_ref["fqn"])
            return (type_ref["fqn"], None) if t and t.get("datatype") else (None, None)
        if "collection" in type_ref:
            coll = type_ref["collection"]
            fqn, _ = self.struct_fqn(coll["elementtype"])
            return (fqn, None) if coll["kind"] == "array" else (None, None)
        if "union" in type_ref:
            found = [self.struct_fqn(t) for t in type_ref["union"]["types"]]
            fqn = next((f for f, _ in found if f), None)
            prim = next((p for _, p in found if p), None)
            return fqn, None if fqn else prim
        return None, None

    def struct(self, fqn: str, skip_meta: bool = True) -> Struct:
        if fqn in self.cache:
            return self.cache[fqn]
        args: dict[str, Arg] = {}
        node = self.types[fqn]
        for prop in node.get("properties", []):
            doc = " ".join(prop.get("docs", {}).get(k, "") for k in ("summary", "remarks"))
            match = PROP_DOC.search(doc)
            name = match.group("name") if match else _snake(prop["name"])
            nested_fqn, primitive = self.struct_fqn(prop["type"])
            nested = self.struct(nested_fqn) if nested_fqn else None
            args[name] = Arg(name, not prop.get("optional", False), nested is not None, primitive, nested)
        for parent in node.get("interfaces", []):
            if parent in self.types and not (skip_meta and parent.startswith("cdktf.")):
                args.update(self.struct(parent).args)
        result = Struct(args)
        self.cache[fqn] = result
        return result


@functools.lru_cache(maxsize=1)
def load() -> ProviderSchema:
    assembly = _assembly()
    types: dict[str, Any] = assembly["types"]
    builder = _Builder(types)
    resources: dict[str, Struct] = {}
    data_sources: dict[str, Struct] = {}
    version = ""
    for fqn, node in types.items():
        if node.get("kind") != "class":
            continue
        match = CLASS_DOC.search(node.get("docs", {}).get("summary", ""))
        if not match or f"{fqn}Config" not in types:
            continue
        version = match.group("version")
        target = resources if match.group("kind") == "resources" else data_sources
        target[match.group("type")] = builder.struct(f"{fqn}Config")
    provider_fqn = next(f for f in types if f.endswith(".provider.SnowflakeProviderConfig"))
    provider = builder.struct(provider_fqn)
    preview_doc = types[provider_fqn]["properties"]
    text = next(p["docs"].get("remarks", "") for p in preview_doc if p["name"] == "previewFeaturesEnabled")
    listing = PREVIEW_LIST.search(text)
    preview = frozenset(re.findall(r"`(\w+)`", listing.group("list"))) if listing else frozenset()
    return ProviderSchema(version, resources, data_sources, provider, preview)
