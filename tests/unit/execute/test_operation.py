"""What an operation adds to an error: production unchanged, read from the journal after the failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from tests.unit.report.golden_cases import BASE, ROLLED_BACK

from pipelineops.execute.operation import production_unchanged
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import history


@dataclass
class _Journal:
    rows: list[dict[str, object]]
    broken: bool = False

    def history(self) -> list[dict[str, object]]:
        if self.broken:
            raise OSError("the warehouse is gone")
        return self.rows


@dataclass
class _Rt:
    journal: _Journal
    extra: dict[str, Any] = field(default_factory=dict)


def _rt(rows: list[dict[str, object]], *, broken: bool = False) -> Runtime:
    return cast(Runtime, _Rt(_Journal(rows, broken)))


def test_production_unchanged_only_when_the_live_publication_is_the_same() -> None:
    before = history.live(BASE)
    assert production_unchanged(_rt(BASE), before, "prod") == (
        "production is unchanged: deploy d-2 (GREEN, git 2222222222bb) still serves prod"
    )
    assert production_unchanged(_rt([*BASE, *ROLLED_BACK]), before, "prod") == ""
    assert production_unchanged(_rt(BASE), None, "prod") == ""
    assert production_unchanged(_rt(BASE, broken=True), before, "prod") == ""
