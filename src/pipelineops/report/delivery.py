"""The four delivery numbers (DORA) as step-summary markdown: a table and a Mermaid bar chart of deploys per
day, which GitHub renders in the summary. Pure."""

from __future__ import annotations

import logging

from pipelineops.plan.audit import Delivery

log = logging.getLogger(__name__)

MAX_BARS = 31  # one bar per day; a longer window shows its last 31 days


def mermaid_deploys_per_day(d: Delivery) -> str:
    """A ```mermaid xychart-beta``` block: deploys per calendar day (UTC) of the window's last days."""
    days = d.daily[-MAX_BARS:]
    labels = ", ".join(f'"{day:%m-%d}"' for day, _ in days)
    values = ", ".join(str(n) for _, n in days)
    top = max((n for _, n in days), default=0)
    return (
        "```mermaid\n"
        "xychart-beta\n"
        '    title "Deploys per day"\n'
        f"    x-axis [{labels}]\n"
        f'    y-axis "deploys" 0 --> {max(top, 1)}\n'
        f"    bar [{values}]\n"
        "```"
    )


def render_delivery(d: Delivery, environment: str) -> str:
    """A titled markdown block: the four numbers, then the chart."""
    days = d.since.total_seconds() / 86400
    rows = "\n".join(f"| {name} | {value} |" for name, value in d.facts())
    return (
        f"### Delivery in {environment}, last {days:g} days (DORA)\n\n"
        f"| metric | value |\n| --- | --- |\n{rows}\n\n"
        f"{mermaid_deploys_per_day(d)}\n"
    )
