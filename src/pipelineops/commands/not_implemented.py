"""Stages whose implementation has not landed yet answer with a clear user error (exit 2)."""

from __future__ import annotations

from pipelineops.errors import UserError
from pipelineops.report.model import StageReport


def refuse(stage: str) -> StageReport:
    raise UserError(
        f"`pipelineops {stage}` is not implemented in this version yet",
        fix="see CHANGELOG.md for the stages available; `pipelineops --help` describes each",
    )
