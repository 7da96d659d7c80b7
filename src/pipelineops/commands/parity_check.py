"""`pipelineops parity-check`: not implemented yet (see `pipelineops parity-check --help` for what it will do)."""

from __future__ import annotations

from pipelineops.commands.not_implemented import refuse
from pipelineops.report.model import StageReport


def run(**_: object) -> StageReport:
    return refuse("parity-check")
