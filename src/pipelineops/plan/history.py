"""What the DEPLOY_STATE journal says: the live colour, past deploys, whether a colour is intact. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Colour = Literal["BLUE", "GREEN"]
COLOURS: tuple[Colour, Colour] = ("BLUE", "GREEN")

# Step names shared by the plans and the journal.
BUILD = "build"
CUTOVER = "cutover"
FINISH = "finish"


def other(colour: Colour) -> Colour:
    return "GREEN" if colour == "BLUE" else "BLUE"


def as_colour(value: object) -> Colour | None:
    text = str(value or "").upper()
    return text if text in COLOURS else None  # type: ignore[return-value]


@dataclass(frozen=True)
class Publication:
    """A successful cutover: ``deploy_id`` made ``colour`` live (a deploy or a rollback)."""

    deploy_id: str
    kind: str
    colour: Colour
    git_sha: str
    actor: str
    at: object
    index: int


def publications(rows: Sequence[Mapping[str, object]]) -> list[Publication]:
    """Successful cutovers in journal order."""
    out = []
    for i, row in enumerate(rows):
        colour = as_colour(row.get("colour_to"))
        if row.get("step") == CUTOVER and row.get("status") == "succeeded" and colour:
            out.append(
                Publication(
                    deploy_id=str(row.get("deploy_id")),
                    kind=str(row.get("kind")),
                    colour=colour,
                    git_sha=str(row.get("git_sha") or ""),
                    actor=str(row.get("actor") or ""),
                    at=row.get("finished_at") or row.get("started_at"),
                    index=i,
                )
            )
    return out


def live(rows: Sequence[Mapping[str, object]]) -> Publication | None:
    pubs = publications(rows)
    return pubs[-1] if pubs else None


def deploy_publication(rows: Sequence[Mapping[str, object]], deploy_id: str) -> Publication | None:
    """The cutover of the *deploy* ``deploy_id`` (rollbacks are not targets)."""
    for pub in publications(rows):
        if pub.deploy_id == deploy_id and pub.kind == "deploy":
            return pub
    return None


def previous_deploy(rows: Sequence[Mapping[str, object]]) -> Publication | None:
    """The deploy published before the one production serves now (the default rollback target)."""
    current = live(rows)
    if current is None:
        return None
    deploys = [p for p in publications(rows) if p.kind == "deploy" and p.git_sha + p.deploy_id]
    candidates = [p for p in deploys if p.colour != current.colour and p.index < current.index]
    return candidates[-1] if candidates else None


def rebuilt_since(rows: Sequence[Mapping[str, object]], pub: Publication) -> str | None:
    """The deploy id that started rebuilding ``pub``'s colour after ``pub`` was published, if any."""
    for row in rows[pub.index + 1 :]:
        if (
            row.get("step") == BUILD
            and row.get("status") == "started"
            and as_colour(row.get("colour_to")) == pub.colour
        ):
            return str(row.get("deploy_id"))
    return None


def unfinished_steps(rows: Sequence[Mapping[str, object]], deploy_id: str) -> list[str]:
    """Steps of ``deploy_id`` that started and never ended (the process died in them)."""
    open_steps: dict[str, int] = {}
    for row in rows:
        if row.get("deploy_id") != deploy_id:
            continue
        step = str(row.get("step"))
        if row.get("status") == "started":
            open_steps[step] = open_steps.get(step, 0) + 1
        elif step in open_steps:
            open_steps[step] -= 1
    return [s for s, n in open_steps.items() if n > 0]


def cutover_interrupted(rows: Sequence[Mapping[str, object]], deploy_id: str) -> bool:
    """``deploy_id`` started its cutover and never recorded it as ended: it died during the cutover."""
    state = None
    for row in rows:
        if row.get("deploy_id") == deploy_id and row.get("step") == CUTOVER:
            state = row.get("status")
    return state == "started"
