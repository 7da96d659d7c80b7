"""The reference project stays a template worth copying, checked on the manifest of a real `dbt parse`:

- every model, seed, source, exposure and group of the project has a description, and so does every column
  declared on a model, seed or source;
- each staging model reads exactly one source and nothing else (the only other parent allowed is the seed
  that loads that source, through the `-- depends_on:` hint), and lives in models/staging/<source>/ next to
  _<source>__sources.yml (where its source is declared) and _<source>__models.yml (its properties);
- no model outside staging reads a source;
- every mart is public and in a group, and no model an exposure depends on is protected or private.

Each check is a function of the manifest that returns the problems it found; the tests run them on the real
manifest (no problems) and on a manifest with one rule broken (that problem, named).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from .dbt_helpers import LocalWarehouse, run_dbt, shared_scenario

pytestmark = pytest.mark.e2e

PROJECT = "pipelineops_demo"
Manifest = dict[str, Any]


def _own(items: dict[str, Any]) -> dict[str, Any]:
    return {uid: node for uid, node in items.items() if node.get("package_name") == PROJECT}


def _models(manifest: Manifest) -> dict[str, Any]:
    return {uid: n for uid, n in _own(manifest["nodes"]).items() if n["resource_type"] == "model"}


def _layer(node: dict[str, Any]) -> str:
    """staging / intermediate / marts: the folder under models/."""
    return str(node["fqn"][1])


def undescribed(manifest: Manifest) -> list[str]:
    """Models, seeds, sources, exposures and groups of the project, and their columns, without a description."""
    missing: list[str] = []
    nodes = {uid: n for uid, n in _own(manifest["nodes"]).items() if n["resource_type"] in ("model", "seed")}
    for uid, node in sorted({**nodes, **_own(manifest["sources"])}.items()):
        if not node["description"].strip():
            missing.append(uid)
        if node["resource_type"] == "source" and not node["source_description"].strip():
            missing.append(f"{uid} (source {node['source_name']})")
        missing += [
            f"{uid}.{name}" for name, col in node["columns"].items() if not col["description"].strip()
        ]
    for uid, other in sorted({**_own(manifest["exposures"]), **_own(manifest["groups"])}.items()):
        if not (other.get("description") or "").strip():
            missing.append(uid)
    return missing


def staging_shape(manifest: Manifest) -> list[str]:
    """Staging models that do not read exactly one source, or sit outside its folder and files."""
    problems: list[str] = []
    sources = manifest["sources"]
    for uid, node in sorted(_models(manifest).items()):
        parents = node["depends_on"]["nodes"]
        read = [p for p in parents if p.startswith("source.")]
        if _layer(node) != "staging":
            problems += [f"{uid} is not a staging model but reads {p}" for p in read]
            continue
        if len(read) != 1 or len(node["sources"]) != 1:
            problems.append(f"{uid} reads {len(read)} sources, not one: {read}")
            continue
        source = sources[read[0]]
        loader = f"seed.{PROJECT}.{source['identifier']}"
        problems += [f"{uid} reads {p} besides {read[0]}" for p in parents if p not in (read[0], loader)]
        folder = f"models/staging/{source['source_name']}"
        if Path(node["original_file_path"]).parent.as_posix() != folder:
            problems.append(f"{uid} is not in {folder}/")
        expected = {
            "sources": f"{PROJECT}://{folder}/_{source['source_name']}__sources.yml",
            "models": f"{PROJECT}://{folder}/_{source['source_name']}__models.yml",
        }
        if f"{PROJECT}://{source['original_file_path']}" != expected["sources"]:
            problems.append(
                f"{read[0]} is declared in {source['original_file_path']}, not {expected['sources']}"
            )
        if node["patch_path"] != expected["models"]:
            problems.append(f"{uid} is described in {node['patch_path']}, not {expected['models']}")
    return problems


def mart_access(manifest: Manifest) -> list[str]:
    """Marts that are not public or have no group; models an exposure needs that are not public."""
    models = _models(manifest)
    problems = [
        f"{uid} is {node['access']} (group {node['group']}); a mart must be public and in a group"
        for uid, node in sorted(models.items())
        if _layer(node) == "marts" and (node["access"] != "public" or not node["group"])
    ]
    for exposure_uid, exposure in sorted(_own(manifest["exposures"]).items()):
        for uid in exposure["depends_on"]["nodes"]:
            if uid in models and models[uid]["access"] != "public":
                problems.append(f"{uid} is {models[uid]['access']} while {exposure_uid} depends on it")
    return problems


def _parse(workdir: Path) -> dict[str, Any]:
    env = LocalWarehouse(workdir / "unused").env()  # dbt parse never connects
    result = run_dbt(["parse", "--target", "local_dev"], workdir=workdir, label="parse", env=env)
    assert result.returncode == 0, result.output[-3000:]
    manifest = result.artifact("manifest.json")
    return {k: manifest[k] for k in ("nodes", "sources", "exposures", "groups")}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    return shared_scenario(tmp_path_factory, "conventions_parse", _parse)


def test_the_manifest_covers_every_layer(manifest: Manifest) -> None:
    layers = {_layer(n) for n in _models(manifest).values()}
    assert layers == {"staging", "intermediate", "marts"}
    assert len(_own(manifest["sources"])) == 6 and len(_own(manifest["exposures"])) == 1


def test_every_model_column_and_source_is_described(manifest: Manifest) -> None:
    assert undescribed(manifest) == []


def test_staging_models_read_exactly_one_source_from_its_folder(manifest: Manifest) -> None:
    assert staging_shape(manifest) == []


def test_marts_are_public_and_exposures_depend_on_no_protected_model(manifest: Manifest) -> None:
    assert mart_access(manifest) == []


def test_the_checks_name_what_breaks_them(manifest: Manifest) -> None:
    broken = copy.deepcopy(manifest)
    orders = broken["nodes"][f"model.{PROJECT}.stg_orders"]
    orders["columns"]["status"]["description"] = " "
    broken["sources"][f"source.{PROJECT}.carrier.shipments"]["description"] = ""
    assert undescribed(broken) == [
        f"model.{PROJECT}.stg_orders.status",
        f"source.{PROJECT}.carrier.shipments",
    ]

    broken = copy.deepcopy(manifest)
    orders = broken["nodes"][f"model.{PROJECT}.stg_orders"]
    orders["depends_on"]["nodes"].append(f"source.{PROJECT}.crm.customers")  # the old orphan join
    orders["sources"].append(["crm", "customers"])
    broken["nodes"][f"model.{PROJECT}.stg_products"]["depends_on"]["nodes"].append(
        f"model.{PROJECT}.stg_orders"
    )
    broken["nodes"][f"model.{PROJECT}.dim_products"]["depends_on"]["nodes"].append(
        f"source.{PROJECT}.catalogue.products"
    )
    assert staging_shape(broken) == [
        f"model.{PROJECT}.dim_products is not a staging model but reads source.{PROJECT}.catalogue.products",
        f"model.{PROJECT}.stg_orders reads 2 sources, not one: "
        f"['source.{PROJECT}.shop.orders', 'source.{PROJECT}.crm.customers']",
        f"model.{PROJECT}.stg_products reads model.{PROJECT}.stg_orders besides source.{PROJECT}.catalogue.products",
    ]

    broken = copy.deepcopy(manifest)
    broken["nodes"][f"model.{PROJECT}.fct_orders"]["access"] = "protected"
    assert mart_access(broken) == [
        f"model.{PROJECT}.fct_orders is protected (group analytics); a mart must be public and in a group",
        f"model.{PROJECT}.fct_orders is protected while exposure.{PROJECT}.revenue_dashboard depends on it",
    ]
