"""``pipelineops status`` names how the build readers see was deployed (slim or full, and why)."""

from __future__ import annotations

from pipelineops.commands.status import serving_mode
from pipelineops.plan.slim_deploy import ModeRecord


def test_status_shows_the_serving_builds_mode() -> None:
    rows = [
        {
            "deploy_id": "d1",
            "step": "prepare",
            "status": "succeeded",
            "detail": ModeRecord("full", "--mode full", built=9).detail(),
        },
        {
            "deploy_id": "d2",
            "step": "prepare",
            "status": "succeeded",
            "detail": ModeRecord("slim", built=2, carried=5).detail(),
        },
    ]
    assert serving_mode(rows, "d1") == [
        ("serving build mode", "full: 9 node(s) built"),
        ("serving build full because", "--mode full"),
    ]
    assert serving_mode(rows, "d2") == [
        ("serving build mode", "slim: 2 node(s) built, 5 table(s) carried over, 0 view(s) re-created")
    ]
    assert serving_mode(rows, "d0") == []  # a deploy before slim deploys recorded nothing
    assert serving_mode(rows, None) == []
