"""The delivery block of the deploy summary: four numbers and a Mermaid chart GitHub renders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pipelineops.plan.audit import delivery
from pipelineops.report.delivery import mermaid_deploys_per_day, render_delivery

NOW = datetime(2026, 5, 3, 12, 0, tzinfo=UTC)


def test_render_delivery_has_the_numbers_and_a_chart() -> None:
    rows = [
        {
            "deploy_id": "a",
            "kind": "deploy",
            "step": "cutover",
            "status": "succeeded",
            "colour_to": "BLUE",
            "finished_at": NOW - timedelta(days=1),
        },
    ]
    text = render_delivery(delivery(rows, now=NOW, since=timedelta(days=3)), "prod")
    assert text.startswith("### Delivery in prod, last 3 days (DORA)\n\n| metric | value |\n| --- | --- |\n")
    assert "| deploys per day | 0.33 (1 in 3 d) |" in text
    assert "| change failure rate | 0% (0 of 1) |" in text
    assert '```mermaid\nxychart-beta\n    title "Deploys per day"\n' in text
    assert '    x-axis ["04-30", "05-01", "05-02", "05-03"]\n' in text
    assert "    bar [0, 0, 1, 0]\n```" in text


def test_the_chart_keeps_the_last_31_days_and_a_positive_axis() -> None:
    d = delivery([], now=NOW, since=timedelta(days=90))
    chart = mermaid_deploys_per_day(d)
    assert chart.count('"') == 2 * 31 + 4
    assert 'y-axis "deploys" 0 --> 1' in chart
    assert d.daily[-1] == (date(2026, 5, 3), 0)
