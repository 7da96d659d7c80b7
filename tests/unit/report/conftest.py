from __future__ import annotations

import pytest

from pipelineops.report.model import Annotation, Section, StageReport


@pytest.fixture
def deploy_report() -> StageReport:
    return StageReport(
        stage="bluegreen-swap",
        conclusion="success",
        title="Deployed GREEN to prod in 41.2 s",
        facts=(("environment", "prod"), ("colour", "GREEN"), ("deploy id", "d-42")),
        sections=(
            Section(
                title="Checks",
                headers=("check", "result"),
                rows=(("row counts", "ok"), ("freshness", "ok | 3 h")),
            ),
            Section(title="SQL", text="ALTER SCHEMA a SWAP WITH b;", collapsed=True),
        ),
        annotations=(Annotation("warning", "model x is slow", title="Slow", file="models/x.sql", line=3),),
        outputs=(("deploy-id", "d-42"), ("colour", "GREEN")),
        duration_s=41.2,
        run_url="https://github.com/acme/dw/actions/runs/7",
        data={"deploy_id": "d-42", "models": ("a", "b")},
    )
