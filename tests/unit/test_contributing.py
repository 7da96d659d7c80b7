"""CONTRIBUTING.md "Adding an engine" stays true: every file it names exists for the engines we have, the
registries it names agree, and the toy third dialect of the contract test walks through its steps."""

from __future__ import annotations

import importlib
import json
import re
import typing
from pathlib import Path

from tests.sqlcheck.checks import STATIC_CHECKS
from tests.unit.plan.dialects import toy

from pipelineops.config.engines import ENGINE_SECTIONS
from pipelineops.config.model import EngineName
from pipelineops.engines.factory import ENGINES
from pipelineops.plan.sql import DIALECTS, Dialect

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_TEST = ROOT / "tests" / "unit" / "plan" / "test_dialect_contract.py"


def checklist() -> str:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    start = text.index("## Adding an engine\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def named_paths(text: str) -> list[str]:
    return [p for p in re.findall(r"`([^`\s]+)`", text) if "/" in p]


def test_the_checklist_is_short_and_numbered() -> None:
    steps = re.findall(r"^(\d+)\. \*\*(.+?)\*\*", checklist(), re.MULTILINE)
    assert [int(n) for n, _ in steps] == list(range(1, len(steps) + 1))
    assert 3 <= len(steps) <= 6


def test_every_file_the_checklist_names_exists_for_every_engine() -> None:
    paths = named_paths(checklist())
    assert len(paths) >= 10
    for path in paths:
        if "<stage>" in path:
            stages = [p for p in (ROOT / path.split("<stage>")[0]).iterdir() if p.is_dir()]
            assert stages, path
            continue
        for name in sorted(DIALECTS) if "<name>" in path else [""]:
            assert (ROOT / path.replace("<name>", name)).exists(), f"CONTRIBUTING.md names {path} ({name})"


def test_the_registries_the_checklist_names_agree() -> None:
    names = set(DIALECTS)
    assert set(typing.get_args(EngineName)) == names
    schema = json.loads((ROOT / "src/pipelineops/config/schema.json").read_text(encoding="utf-8"))
    engine_enums = re.findall(r'"engine": \{"enum": (\[[^\]]*\])', json.dumps(schema))
    assert [set(json.loads(e)) for e in engine_enums] == [names]
    assert set(ENGINES) == names
    assert set(ENGINE_SECTIONS) == names
    assert set(STATIC_CHECKS) == names
    for name, dialect in DIALECTS.items():
        assert dialect.name == name
        module = importlib.import_module(f"pipelineops.engines.{name}")
        engines = [
            c for c in vars(module).values() if isinstance(c, type) and getattr(c, "dialect", None) is dialect
        ]
        assert engines, f"engines/{name}.py has no class whose dialect is DIALECTS[{name!r}]"


def test_the_toy_dialect_walks_through_the_checklist() -> None:
    text = checklist()
    assert "tests/unit/plan/dialects/toy.py" in text
    # step 1: a Dialect subclass with every method (it instantiates) and every capability declared
    assert isinstance(toy.TOY, Dialect)
    capabilities = re.findall(
        r"`(cutover|transactional_ddl|time_travel|point_kinds|has_grants|zero_copy_clone)`", text
    )
    assert len(set(capabilities)) == 6
    for capability in capabilities:
        assert capability in vars(type(toy.TOY)), capability
    # steps 2 and 5: registered in DIALECTS, with its own static check, by the contract test
    contract = CONTRACT_TEST.read_text(encoding="utf-8")
    assert "monkeypatch.setitem(DIALECTS, TOY.name, TOY)" in contract
    assert "TOY.name: toy.check_sql" in contract
    assert "tests/unit/plan/test_dialect_contract.py" in text
