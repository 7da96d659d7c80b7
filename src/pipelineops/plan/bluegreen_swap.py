"""The blue/green deploy plan. Pure: typed inputs in, a frozen Plan out.

The cutover follows the dialect's ``cutover`` capability. ``transactional-ddl`` (the local engine): every
consumer view is re-pointed, and stale ones dropped, in one transaction. ``schema-swap`` (Snowflake): DDL auto-commits, so the new views are prepared in a shadow schema
``<SCHEMA>__NEXT`` first, then published with one ``ALTER SCHEMA … SWAP WITH …`` per consumer schema — the
cutover's statement count depends on the number of consumer schemas, never on the number of models.
A swap moves objects with their grants, so the shadow schema is prepared as the consumer schema's twin
(``plan/grants.py``): a CLONE of the consumer schema (its views keep the grants on them), then, in the
executor, the grants on the consumer schema itself, its future grants and managed access; the reader roles
(``environments.<env>.reader_roles``) get USAGE on each shadow schema and SELECT on its views before the swap, and a
``verify-grants`` step checks USAGE on each consumer schema and SELECT on each published view after it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from pipelineops.plan import sql
from pipelineops.plan.history import BUILD, CUTOVER, Colour, other
from pipelineops.plan.sql import Dialect, Relation
from pipelineops.plan.sql import grants as gsql
from pipelineops.plan.steps import Plan, Step

SHADOW_SUFFIX = "__NEXT"
VERIFY_GRANTS = "verify-grants"
NO_LOCAL_GRANTS = "the local engine has no grants"
NO_READER_ROLES = "no reader roles configured (environments.<env>.reader_roles): nobody's read access is verified after the swap"


@dataclass(frozen=True)
class Published:
    """A relation the idle colour builds in a consumer schema: readers get a view of the same name."""

    schema: str  # the consumer schema, e.g. MARTS
    name: str  # relation name (dbt alias)


@dataclass(frozen=True)
class Carried(Published):
    """An incremental table the idle colour continues from the live one (a zero-copy clone on Snowflake).

    ``transient`` is the table's kind (dbt-snowflake builds transient tables unless ``transient: false``):
    Snowflake clones a transient table only into a transient one (error 002120 otherwise).
    """

    transient: bool = True


@dataclass(frozen=True)
class DeployInputs:
    environment: str
    dialect: Dialect
    database: str
    live: Colour | None
    consumer_schemas: tuple[str, ...]
    dbt_target: str
    published: tuple[Published, ...]
    existing_views: Mapping[str, tuple[str, ...]]  # consumer schema -> views readers see now
    incremental_in_live: tuple[Published | tuple[str, str], ...] = ()  # (colour-less schema, name)
    extra_dbt_args: tuple[str, ...] = ()
    reader_roles: tuple[str, ...] = ()  # roles that read the consumer views (Snowflake grants)

    @property
    def idle(self) -> Colour:
        return other(self.live) if self.live else "BLUE"


def dbt_vars(values: Mapping[str, object]) -> str:
    """dbt ``--vars`` as compact JSON (valid YAML), keys sorted so plans are stable."""
    return json.dumps(dict(values), sort_keys=True, separators=(",", ":"))


def colour_schema(schema: str, colour: Colour) -> str:
    return f"{schema.upper()}__{colour}"


def base_schema(schema: str) -> tuple[str, Colour | None]:
    """``MARTS__GREEN`` → (``MARTS``, ``GREEN``); a schema without a colour suffix → (schema, None)."""
    upper = schema.upper()
    for colour in ("BLUE", "GREEN"):
        suffix = f"__{colour}"
        if upper.endswith(suffix):
            return upper[: -len(suffix)], colour
    return upper, None


def publish_statements(
    *,
    dialect: Dialect,
    database: str,
    colour: Colour,
    published: tuple[Published, ...],
    schema: str,
    into: str,
    existing: tuple[str, ...] | None = None,
) -> list[str]:
    """Views in ``into`` over ``colour``'s relations of consumer schema ``schema``.

    ``existing``: the views ``into`` already holds (a clone of the consumer schema): those are replaced with
    COPY GRANTS (the grants on them stay), the others are created without it, so that the schema's future
    grants apply to them (COPY GRANTS does not inherit future grants). None: every view with COPY GRANTS.
    """
    had = None if existing is None else {v.upper() for v in existing}
    return [
        sql.create_view(
            Relation(database, into, p.name),
            Relation(database, colour_schema(p.schema, colour), p.name),
            dialect,
            copy_grants=had is None or p.name.upper() in had,
        )
        for p in published
        if p.schema == schema
    ]


def cutover_steps(
    *,
    dialect: Dialect,
    database: str,
    colour: Colour,
    consumer_schemas: tuple[str, ...],
    published: tuple[Published, ...],
    existing_views: Mapping[str, tuple[str, ...]],
    why: str,
    reader_roles: tuple[str, ...] = (),
) -> tuple[Step, ...]:
    """The steps that make ``colour`` what readers see. Shared by deploys and rollbacks.

    With a schema swap each ``reader_roles`` role is granted USAGE on the shadow schema and SELECT on its
    views before the swap (the swap carries the grants over).
    """
    # exhaustive: a new ``Cutover`` value without a case here is a mypy error (missing return)
    match dialect.cutover:
        case "transactional-ddl":
            return _transactional_cutover(
                dialect=dialect,
                database=database,
                colour=colour,
                consumer_schemas=consumer_schemas,
                published=published,
                existing_views=existing_views,
                why=why,
            )
        case "schema-swap":  # pragma: no branch
            return _swap_cutover(
                dialect=dialect,
                database=database,
                colour=colour,
                consumer_schemas=consumer_schemas,
                published=published,
                existing_views=existing_views,
                why=why,
                reader_roles=reader_roles,
            )


def _transactional_cutover(
    *,
    dialect: Dialect,
    database: str,
    colour: Colour,
    consumer_schemas: tuple[str, ...],
    published: tuple[Published, ...],
    existing_views: Mapping[str, tuple[str, ...]],
    why: str,
) -> tuple[Step, ...]:
    """Every consumer view re-pointed, and stale ones dropped, in one transaction."""
    stmts: list[str] = []
    for schema in consumer_schemas:
        stmts.append(sql.create_schema(database, schema, dialect))
        stmts += publish_statements(
            dialect=dialect,
            database=database,
            colour=colour,
            published=published,
            schema=schema,
            into=schema,
        )
        keep = {p.name.upper() for p in published if p.schema == schema}
        stmts += [
            sql.drop_view(Relation(database, schema, v), dialect)
            for v in existing_views.get(schema, ())
            if v.upper() not in keep
        ]
    return (Step(CUTOVER, why, sql=tuple(stmts), transactional=True),)


def _swap_cutover(
    *,
    dialect: Dialect,
    database: str,
    colour: Colour,
    consumer_schemas: tuple[str, ...],
    published: tuple[Published, ...],
    existing_views: Mapping[str, tuple[str, ...]],
    why: str,
    reader_roles: tuple[str, ...],
) -> tuple[Step, ...]:
    """Views prepared in shadow schemas cloned from the consumer schemas, then one atomic swap per schema."""
    shadow: list[str] = []
    swaps: list[str] = []
    for schema in consumer_schemas:
        nxt = schema + SHADOW_SUFFIX
        keep = {p.name.upper() for p in published if p.schema == schema}
        had = existing_views.get(schema, ())
        shadow.append(sql.create_schema(database, schema, dialect))
        shadow.append(gsql.clone_schema(database, nxt, schema, dialect))
        shadow += [sql.drop_view(Relation(database, nxt, v), dialect) for v in had if v.upper() not in keep]
        shadow += publish_statements(
            dialect=dialect,
            database=database,
            colour=colour,
            published=published,
            schema=schema,
            into=nxt,
            existing=had,
        )
        for role in reader_roles if dialect.has_grants else ():
            shadow.append(sql.grant_schema_usage(database, nxt, role, dialect))
            shadow.append(sql.grant_select_on_all_views(database, nxt, role, dialect))
        swaps.append(sql.swap_schema(database, schema, nxt, dialect))
    granted = (
        f"; {', '.join(reader_roles)} granted USAGE and SELECT" if reader_roles and dialect.has_grants else ""
    )
    return (
        Step(
            "prepare-shadow",
            f"views over {colour} prepared in shadow schemas cloned from the consumer schemas (DDL "
            "auto-commits on Snowflake; readers see nothing yet); after each CLONE the grants on the "
            "consumer schema itself, its future grants and managed access (SHOW GRANTS ON SCHEMA, SHOW "
            f"FUTURE GRANTS IN SCHEMA, SHOW SCHEMAS, read then) are re-issued on its shadow{granted}",
            sql=tuple(shadow),
        ),
        Step(CUTOVER, why + " — one atomic SWAP per consumer schema", sql=tuple(swaps)),
    )


def verify_grants_step(
    *, dialect: Dialect, database: str, consumer_schemas: tuple[str, ...], reader_roles: tuple[str, ...]
) -> Step:
    """After the swaps: every reader role must hold USAGE on every consumer schema and SELECT on every
    published view.

    Snowflake runs one ``SHOW GRANTS ON SCHEMA`` per consumer schema, then one ``SHOW GRANTS TO ROLE`` per
    reader role (no warehouse needed; ``plan/grants.py`` ``grant_gaps`` reads them). With no reader roles
    configured the step has no SQL and is journalled as skipped with a warning (``NO_READER_ROLES``); on
    an engine without grants (the local engine) it has none either.
    """
    if not dialect.has_grants:
        return Step(VERIFY_GRANTS, NO_LOCAL_GRANTS, action="check")
    if not reader_roles:
        return Step(VERIFY_GRANTS, NO_READER_ROLES, action="check")
    return Step(
        VERIFY_GRANTS,
        f"{', '.join(reader_roles)} must hold USAGE on each consumer schema and SELECT on each published "
        "view after the swap; otherwise re-publish the previous colour",
        action="check",
        sql=(
            *(sql.show_grants_on_schema(database, s, dialect) for s in consumer_schemas),
            *(gsql.show_grants_to_role(role, dialect) for role in reader_roles),
        ),
    )


def build_plan(inputs: DeployInputs) -> Plan:
    idle, d, db = inputs.idle, inputs.dialect, inputs.database
    prepare: list[str] = []
    for schema in inputs.consumer_schemas:
        prepare.append(sql.create_schema(db, colour_schema(schema, idle), d))
    if inputs.live:
        for item in inputs.incremental_in_live:
            schema, name = (item.schema, item.name) if isinstance(item, Published) else item
            prepare.append(sql.create_schema(db, colour_schema(schema, idle), d))
            prepare.append(
                sql.copy_table(
                    Relation(db, colour_schema(schema, idle), name),
                    Relation(db, colour_schema(schema, inputs.live), name),
                    d,
                    transient=not isinstance(item, Carried) or item.transient,
                )
            )
    steps = [
        Step(
            "lock",
            f"take the {inputs.environment} deploy lock (compare-and-set in DEPLOY_LOCK)",
            action="note",
        ),
        Step(
            "prepare",
            f"create the {idle} schemas; carry the live incremental tables over so they continue, not restart",
            sql=tuple(dict.fromkeys(prepare)),
        ),
        Step(
            BUILD,
            f"dbt builds and tests every model into the idle colour {idle}; readers keep reading "
            f"{inputs.live or 'nothing yet'}",
            action="dbt",
            dbt_args=("build", "--vars", dbt_vars({"pipelineops_colour": idle}), *inputs.extra_dbt_args),
        ),
        Step(
            "checks",
            f"pre-cutover gates on {idle}: dbt tests, row-count delta, non-empty, contract",
            action="check",
        ),
        *cutover_steps(
            dialect=d,
            database=db,
            colour=idle,
            consumer_schemas=inputs.consumer_schemas,
            published=inputs.published,
            existing_views=inputs.existing_views,
            why=f"publish {idle}: re-point {len(inputs.published)} consumer views",
            reader_roles=inputs.reader_roles,
        ),
        verify_grants_step(
            dialect=d, database=db, consumer_schemas=inputs.consumer_schemas, reader_roles=inputs.reader_roles
        ),
        Step("smoke", "read every published view; on failure re-publish the previous colour", action="check"),
        Step("publish-manifest", "store the manifest (pointing at the consumer views) for Slim CI deferral"),
        Step("finish", "release the deploy lock", action="note"),
    ]
    return Plan(
        stage="bluegreen-swap",
        dialect=d,
        steps=tuple(steps),
        facts=(
            ("environment", inputs.environment),
            ("live colour", inputs.live or "none (first deploy)"),
            ("idle colour (to build)", idle),
            ("published relations", str(len(inputs.published))),
        ),
    )
