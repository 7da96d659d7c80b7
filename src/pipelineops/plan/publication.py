"""What a cutover may publish, checked before anything changes. Pure.

A deploy publishes the relations the idle colour builds in the consumer schemas; a rollback re-publishes
the relations of the build it goes back to. Both refuse a publication that would silently be something
else than blue/green: nothing to publish, models that do not land in colour schemas, a colour that is not
the one asked for, or (rollback) dropping a view readers use that the target's manifest still has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pipelineops.errors import CheckFailed, UserError
from pipelineops.plan.bluegreen_swap import Published, base_schema
from pipelineops.plan.history import Colour

RUNBOOK = "configuration.md"
MACRO_FIX = (
    "compose your generate_schema_name with the colour suffix (keep your naming, add __<colour> on top):\n"
    "  {%- set colour = var('pipelineops_colour', none) -%}\n"
    "  {%- set name = <your schema name> -%}\n"
    "  {{ (name ~ '__' ~ colour) | upper if colour else name }}\n"
    "see dbt/macros/generate_schema_name.sql for the full contract (PR schemas, seeds)"
)


def deploy_relations(
    nodes: Iterable[tuple[str, str]], consumer_schemas: tuple[str, ...], colour: Colour
) -> tuple[Published, ...]:
    """The relations a deploy of ``colour`` publishes, from the (schema, alias) of every relation the
    manifest (parsed with ``pipelineops_colour=<colour>``) builds; ``UserError`` when that is not blue/green."""
    nodes = list(nodes)
    coloured = [(base_schema(s), a) for s, a in nodes if base_schema(s)[1] is not None]
    if nodes and not coloured:
        schemas = ", ".join(sorted({s for s, _ in nodes})[:8])
        raise UserError(
            "the project builds no model in a colour schema: its generate_schema_name ignores the "
            "pipelineops_colour var, so a deploy would rebuild production in place (no blue/green, no rollback)",
            why=f"with pipelineops_colour={colour} the models land in: {schemas}",
            fix=MACRO_FIX,
            runbook=RUNBOOK,
        )
    wrong = sorted({f"{b}__{c}" for (b, c), _ in coloured if c != colour})
    if wrong:
        raise UserError(
            f"with pipelineops_colour={colour} models land in {', '.join(wrong[:8])}",
            why="the schema macro does not take the colour from the pipelineops_colour var",
            fix=MACRO_FIX,
            runbook=RUNBOOK,
        )
    bare = sorted({s.upper() for s, _ in nodes if base_schema(s)[1] is None} & set(consumer_schemas))
    if bare:
        raise UserError(
            f"models land in the consumer schema(s) {', '.join(bare)} themselves, not in a colour schema",
            why="readers' views and the models would share a schema: a deploy would overwrite production",
            fix=MACRO_FIX,
            runbook=RUNBOOK,
        )
    published = sorted({Published(b, a) for (b, _), a in coloured if b in consumer_schemas}, key=_key)
    if not published:
        landed = ", ".join(sorted({b for (b, _), _ in coloured})) or "none"
        raise UserError(
            f"nothing to publish: layout.consumer_schemas [{', '.join(consumer_schemas)}] matches no "
            "model of the project",
            why=f"the project's models land in the colour schemas of: {landed}",
            fix=f"set layout.consumer_schemas to the schemas readers use, e.g. [{landed}]",
            runbook=RUNBOOK,
        )
    return tuple(published)


def rollback_relations(
    *,
    target: str,
    colour: Colour,
    expected: tuple[Published, ...] | None,
    present: Mapping[str, tuple[str, ...]],
    live_views: Mapping[str, tuple[str, ...]],
) -> tuple[Published, ...]:
    """The relations re-publishing deploy ``target`` (built in ``colour``) publishes.

    ``expected``: the published relations of the target's stored manifest (None when it was never stored);
    ``present``: consumer schema → relations found in its ``colour`` schema; ``live_views``: consumer
    schema → views readers use now. Refused (``CheckFailed``) when a relation the target published is gone
    from its colour, when nothing would be published, or — without the target's manifest — when a view
    readers use would be dropped.
    """
    found = {
        Published(schema, name) for schema, names in present.items() for name in names if not kept_aside(name)
    }
    by_upper = {(p.schema, p.name.upper()): p for p in found}
    if expected is not None:
        missing = [p for p in expected if (p.schema, p.name.upper()) not in by_upper]
        if missing:
            names = ", ".join(f"{p.schema}.{p.name}" for p in missing[:10])
            raise CheckFailed(
                f"cannot re-publish deploy {target}: {len(missing)} of its relations are gone from {colour} ({names})",
                why="re-publishing would leave readers without relations that deploy served",
                fix="restore the tables with time travel (--mode time-travel), or ship a fix as a new deploy",
                runbook="rollback.md",
            )
        chosen = sorted({by_upper[(p.schema, p.name.upper())] for p in expected}, key=_key)
    else:
        chosen = sorted(found, key=_key)
        keep = {(p.schema, p.name.upper()) for p in chosen}
        dropped = [f"{s}.{v}" for s, views in live_views.items() for v in views if (s, v.upper()) not in keep]
        if dropped:
            raise CheckFailed(
                f"cannot re-publish deploy {target}: its manifest was never stored, and re-publishing "
                f"{colour} would drop views readers use ({', '.join(dropped[:10])})",
                why="without the target's manifest nothing proves those relations were not part of it",
                fix="restore the tables with time travel (--mode time-travel), or ship a fix as a new deploy",
                runbook="rollback.md",
            )
    if not chosen:
        raise CheckFailed(
            f"cannot re-publish deploy {target}: {colour} holds no relation to publish",
            fix="restore with time travel, or ship a fix as a new deploy",
            runbook="rollback.md",
        )
    return tuple(chosen)


def stored_relations(
    nodes: Sequence[tuple[str, str]], consumer_schemas: tuple[str, ...]
) -> tuple[Published, ...]:
    """The published relations of a stored (deferral) manifest: its relations in the consumer schemas."""
    return tuple(
        sorted({Published(s.upper(), a) for s, a in nodes if s.upper() in consumer_schemas}, key=_key)
    )


def kept_aside(name: str) -> bool:
    """Tables a time-travel restore set aside live next to the models; they are never published."""
    upper = name.upper()
    return any(f"__{tag}_" in upper for tag in ("REPLACED", "RESTORED", "CURRENT", "UNDROPPED"))


def _key(p: Published) -> tuple[str, str]:
    return (p.schema, p.name)
