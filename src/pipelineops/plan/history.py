"""What the DEPLOY_STATE journal says: the live colour, past deploys, whether a colour is intact. Pure.

Publications form a *lineage*: a deploy pushes its build; a rollback re-publishes an earlier build and
removes every build published after it. The builds still in the lineage are the *good* ones; the last
serves production. A rollback goes back along the good builds only, so pressing it twice never brings
back what the first press removed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Colour = Literal["BLUE", "GREEN"]
COLOURS: tuple[Colour, Colour] = ("BLUE", "GREEN")

# Step names shared by the plans and the journal.
BUILD = "build"
CUTOVER = "cutover"
FINISH = "finish"
SWAP = "swap"

#: The ``detail`` of every row of a rollback (and of an automatic re-publish) names the deploy whose build
#: it re-publishes: ``back to deploy <id>``.
BACK_TO = "back to deploy "
_BACK_TO = re.compile(re.escape(BACK_TO) + r"([A-Za-z0-9._-]+)")


def back_to(deploy_id: str) -> str:
    """The ``detail`` prefix of a row that re-publishes ``deploy_id``'s build."""
    return BACK_TO + deploy_id


def served_by(detail: object) -> str | None:
    """The deploy id a ``back to deploy <id>`` detail names, or None."""
    m = _BACK_TO.match(str(detail or ""))
    return m.group(1) if m else None


def other(colour: Colour) -> Colour:
    return "GREEN" if colour == "BLUE" else "BLUE"


def as_colour(value: object) -> Colour | None:
    text = str(value or "").upper()
    return text if text in COLOURS else None  # type: ignore[return-value]


@dataclass(frozen=True)
class LockHolder:
    """Who holds an environment's deploy lock (the lock row of DEPLOY_STATE), since when, from which run."""

    deploy_id: str
    holder: str
    run_url: str
    acquired_at: object


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
    serves: str = ""  # the deploy whose build readers see: the deploy itself, or a rollback's target


def publications(rows: Sequence[Mapping[str, object]]) -> list[Publication]:
    """Successful cutovers in journal order."""
    out: list[Publication] = []
    for i, row in enumerate(rows):
        colour = as_colour(row.get("colour_to"))
        if row.get("step") == CUTOVER and row.get("status") == "succeeded" and colour:
            deploy_id, kind = str(row.get("deploy_id")), str(row.get("kind"))
            serves = deploy_id if kind == "deploy" else served_by(row.get("detail"))
            if serves is None:  # an older row without the target: the last build of that colour
                same = [p.serves for p in out if p.colour == colour]
                serves = same[-1] if same else ""
            out.append(
                Publication(
                    deploy_id=deploy_id,
                    kind=kind,
                    colour=colour,
                    git_sha=str(row.get("git_sha") or ""),
                    actor=str(row.get("actor") or ""),
                    at=row.get("finished_at") or row.get("started_at"),
                    index=i,
                    serves=serves,
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
    """The good build published before the one production serves now (the default rollback target):
    never one a rollback already removed."""
    good = lineage(rows).good
    return good[-2] if len(good) >= 2 else None


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


# -- the lineage of good builds ------------------------------------------------------------------------


@dataclass(frozen=True)
class Lineage:
    """``good``: the deploy publications still good, oldest first (the last serves production);
    ``removed``: deploy id → the id of the rollback (or failed deploy) that took it off production."""

    good: tuple[Publication, ...] = ()
    removed: Mapping[str, str] = field(default_factory=dict)

    @property
    def serving(self) -> Publication | None:
        return self.good[-1] if self.good else None

    def find(self, deploy_id: str) -> Publication | None:
        return next((p for p in self.good if p.deploy_id == deploy_id), None)


def lineage(rows: Sequence[Mapping[str, object]]) -> Lineage:
    deploys: dict[str, Publication] = {}
    stack: list[str] = []
    removed: dict[str, str] = {}
    for pub in publications(rows):
        if pub.kind == "deploy":
            deploys[pub.deploy_id] = pub
            if pub.deploy_id in stack:
                stack.remove(pub.deploy_id)
            stack.append(pub.deploy_id)
            removed.pop(pub.deploy_id, None)
            continue
        if pub.serves in stack:
            while stack[-1] != pub.serves:
                removed[stack.pop()] = pub.deploy_id
        elif pub.serves in deploys:  # re-published a build that had been removed: it is good again
            for gone in stack:
                removed[gone] = pub.deploy_id
            stack = [pub.serves]
            removed.pop(pub.serves, None)
    return Lineage(tuple(deploys[d] for d in stack), removed)


def rolled_back_sha(rows: Sequence[Mapping[str, object]], git_sha: str) -> tuple[str, str] | None:
    """(deploy id, rollback id) when a build of ``git_sha`` was rolled back and none is good now."""
    lin = lineage(rows)
    if not git_sha or any(p.git_sha == git_sha for p in lin.good):
        return None
    for pub in publications(rows):
        if pub.kind == "deploy" and pub.git_sha == git_sha and pub.deploy_id in lin.removed:
            return pub.deploy_id, lin.removed[pub.deploy_id]
    return None


# -- one operation id, as the journal knows it --------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """How far the operation ``op_id`` got, from its journal rows (an unknown id: ``kind`` is None).

    ``finished``: the status of its last ``finish`` row when nothing of it was journalled after that row;
    ``published``: its own successful cutover; ``cutover_open``: the colour of a cutover it started and
    never ended (it died between Snowflake swaps); ``target``: the deploy a rollback re-publishes.
    """

    op_id: str
    kind: str | None = None
    git_sha: str = ""
    finished: str | None = None
    published: Publication | None = None
    cutover_open: Colour | None = None
    target: str | None = None
    first_at: object = None
    error: str = ""  # the error of its last ``finish failed`` row


def progress(rows: Sequence[Mapping[str, object]], op_id: str) -> Progress:
    mine = [r for r in rows if r.get("deploy_id") == op_id and r.get("step") != "force-unlock"]
    if not mine:
        return Progress(op_id)
    last = mine[-1]
    finished = str(last.get("status")) if last.get("step") == FINISH else None
    published = next(
        (p for p in reversed(publications(rows)) if p.deploy_id == op_id and p.kind == mine[0].get("kind")),
        None,
    )
    cutover_rows = [r for r in mine if r.get("step") == CUTOVER]
    open_colour = (
        as_colour(cutover_rows[-1].get("colour_to"))
        if cutover_rows and cutover_rows[-1].get("status") == "started"
        else None
    )
    target = next((t for r in mine if (t := served_by(r.get("detail")))), None)
    failed = [r for r in mine if r.get("step") == FINISH and r.get("status") == "failed"]
    return Progress(
        op_id=op_id,
        kind=str(mine[0].get("kind")),
        git_sha=str(next((r.get("git_sha") for r in mine if r.get("git_sha")), "") or ""),
        finished=finished,
        published=published,
        cutover_open=open_colour,
        target=target,
        first_at=mine[0].get("started_at"),
        error=str(failed[-1].get("error") or "") if failed else "",
    )
