"""Grants derived from what the product does.

``rendered()`` renders, on the Snowflake dialect, every plan the product runs, per identity: the deploy
identity (deploy, rollback, restore, the journal and the lock) in prod, and the pull-request identity
(PR schemas, slim-ci's build, its deferral reads of prod and clones of prod's live colour, cleanup).
Parity, a scheduled read-only check, runs with the CI_READER role's grants alone. dbt's own statements
(the ``build`` step) are rendered as the DDL dbt-snowflake issues for a table model reading a source.

``needs()`` lists the privileges each statement requires, with the table ``RULES`` taken from
Snowflake's access-control documentation (one cited page per row), and drops those the identity holds as
the owner of what it created itself. ``check_identities()`` compares them with the Terraform grants of
the identity's roles (parsed from the HCL by ``terraform_checks.declared_access``): every need covered,
no grant that nothing needs, and for the pull-request identity no OWNERSHIP and no write privilege in
prod's consumer, shadow, colour or journal schemas.

Privilege sources (docs.snowflake.com/en):
  /user-guide/security-access-control-privileges  the privileges of each object type; USAGE on the
                                                    database and schema for anything inside them
  /sql-reference/sql/create-schema                 CREATE SCHEMA on the database
  /sql-reference/sql/drop-schema                   OWNERSHIP of the schema
  /sql-reference/sql/alter-schema                  SWAP WITH: OWNERSHIP of both schemas, CREATE SCHEMA on
                                                    the database
  /sql-reference/sql/create-table                  CREATE TABLE on the schema; CLONE: SELECT on the source
                                                    table; OR REPLACE: OWNERSHIP of the replaced table
  /user-guide/object-clone                         a clone is owned by its creator; grants are not copied
  /sql-reference/sql/create-view                   CREATE VIEW on the schema; SELECT on what it reads
  /sql-reference/sql/alter-table                   SWAP WITH, RENAME: OWNERSHIP of the table(s)
  /sql-reference/sql/undrop-table                  OWNERSHIP of the table, CREATE TABLE on the schema
  /sql-reference/sql/insert, /update, /delete      INSERT, UPDATE, DELETE on the table (SELECT when the
                                                    statement reads a table)
  /sql-reference/sql/select                        SELECT on each table or view read
  /sql-reference/sql/grant-privilege               OWNERSHIP of the object (or MANAGE GRANTS, which no
                                                    identity here holds)
  /sql-reference/sql/show-grants                   ON <object>: a privilege on it (USAGE for a schema);
                                                    TO ROLE: the role in the session's role hierarchy
  /sql-reference/sql/show-schemas, /show-objects   USAGE on the database, the schema; rows only for
                                                    objects the role can see
  /sql-reference/info-schema                       USAGE on the database; rows only for visible objects
  /release-notes/bcr-bundles/2025_01/bcr-1870      schema-level future grants take precedence over
                                                    database-level ones in that schema
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.terraform.terraform_checks import _inherited, declared_access, load_spec
from tests.terraform.terraform_hcl import load_module

from pipelineops.plan import bluegreen_swap as bg
from pipelineops.plan import parity_check, pr_schema, rollback, schema_cleanup
from pipelineops.plan.sql import SNOWFLAKE
from pipelineops.plan.sql import common as c
from pipelineops.plan.sql import journal as j
from pipelineops.plan.sql import time_travel as tt

D = SNOWFLAKE
PROD, DEV = "PROD_ANALYTICS", "DEV_ANALYTICS"
ENV_OF = {PROD: "prod", DEV: "dev"}
JOURNAL = "PIPELINEOPS"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
WRITES = {
    "OWNERSHIP",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "CREATE TABLE",
    "CREATE VIEW",
    "CREATE SCHEMA",
}
PROTECTED_KINDS = {"consumer", "shadow", "colour", "journal"}


@dataclass(frozen=True)
class Statement:
    identity: str  # deploy | pull_request | reader
    plan: str
    sql: str


@dataclass(frozen=True)
class Need:
    privilege: str
    on: str  # database | schema | table | view | warehouse
    kind: str  # schema kind (consumer, shadow, colour, journal, raw, pr) or "-" for a database
    env: str  # dev | prod
    obj: str  # the object, for messages
    why: str  # the statement

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.privilege, self.on, self.kind, self.env)


def kind_of(schema: str) -> str:
    s = schema.upper()
    if s == JOURNAL:
        return "journal"
    if s == "RAW":
        return "raw"
    if s.startswith("CI_PR_"):
        return "pr"
    if s.endswith("__NEXT"):
        return "shadow"
    if s.endswith(("__BLUE", "__GREEN")):
        return "colour"
    return "consumer"


# --- the plans the product runs -----------------------------------------------------------------------


def _sql(plan: Any) -> list[str]:
    return [s for step in plan.steps for s in step.sql]


def _dbt_build(database: str, schema: str, raw_db: str) -> list[str]:
    """What dbt-snowflake runs for a table model reading a source (the `build` step of a plan)."""
    return [
        c.create_schema(database, schema, D),
        f'CREATE OR REPLACE TRANSIENT TABLE "{database}"."{schema}"."FCT_ORDERS" AS SELECT * FROM "{raw_db}"."RAW"."ORDERS"',
        f'SELECT COUNT(*) FROM "{database}"."{schema}"."FCT_ORDERS"',
    ]


def _journal(database: str) -> list[str]:
    row = {"deploy_id": "d2", "environment": "prod", "kind": "deploy", "step": "plan", "status": "ok"}
    return [
        *j.migrations(database, JOURNAL, D),
        j.ensure_lock_row(database, JOURNAL, "prod", D),
        j.take_lock(database, JOURNAL, "prod", deploy_id="d2", holder="h", run_url="u", now=NOW, dialect=D),
        j.select_lock(database, JOURNAL, "prod", D),
        j.insert_state(database, JOURNAL, row, D),
        j.select_state(database, JOURNAL, "prod", D),
        j.insert_manifest(
            database,
            JOURNAL,
            environment="prod",
            deploy_id="d2",
            colour="GREEN",
            digest="x",
            published_at=NOW,
            manifest="{}",
            dialect=D,
        ),
        j.delete_manifest(database, JOURNAL, "prod", "d1", D),
        j.latest_manifest(database, JOURNAL, "prod", D),
        j.manifest_of(database, JOURNAL, "prod", "d1", D),
        j.release_lock(database, JOURNAL, "prod", "d2", D),
    ]


def rendered(reader_roles: tuple[str, ...] = ("PROD_REPORTER", "PROD_CI_READER")) -> list[Statement]:
    out: list[Statement] = []

    def add(identity: str, plan: str, sqls: list[str]) -> None:
        out.extend(Statement(identity, plan, s) for s in sqls)

    # deploy identity, prod: two deploys (BLUE then GREEN live) so each colour is built by it
    add("deploy", "journal", _journal(PROD))
    for live in (None, "BLUE", "GREEN"):
        idle = "GREEN" if live == "BLUE" else "BLUE"
        deploy = bg.build_plan(
            bg.DeployInputs(
                environment="prod", dialect=D, database=PROD, live=live, consumer_schemas=("MARTS",),
                dbt_target="prod", published=(bg.Published("MARTS", "FCT_ORDERS"), bg.Carried("MARTS", "INC")),
                existing_views={"MARTS": ("FCT_ORDERS", "OLD")} if live else {},
                incremental_in_live=(bg.Carried("MARTS", "INC"),) if live else (), reader_roles=reader_roles,
            )
        )  # fmt: skip
        add("deploy", "deploy", _dbt_build(PROD, f"MARTS__{idle}", PROD) + _sql(deploy))
    republish = rollback.republish_plan(
        rollback.RepublishInputs(
            environment="prod", dialect=D, database=PROD, consumer_schemas=("MARTS",), current="GREEN",
            target="BLUE", target_deploy="d1", published=(bg.Published("MARTS", "FCT_ORDERS"),),
            existing_views={"MARTS": ("FCT_ORDERS",)}, reader_roles=reader_roles,
        )
    )  # fmt: skip
    add("deploy", "rollback", _sql(republish))
    table = c.Relation(PROD, "MARTS__BLUE", "FCT_ORDERS")
    for route in ("direct", "undrop"):
        plan = rollback.time_travel_plan(
            dialect=D,
            table=table,
            point=tt.PointInTime("offset", offset_s=3600),
            restore_id="r1",
            route=route,
        )
        add("deploy", "restore", _sql(plan) + list(rollback.undo(plan, tuple(s.name for s in plan.steps))))
    add(
        "deploy",
        "restore",
        [SNOWFLAKE.time_travel.show_table(table), c.drop_table(tt.sibling(table, "REPLACED_R1"), D)],
    )
    add("deploy", "publication", [c.list_schemas(PROD, D), c.list_relations(PROD, "MARTS", D)])
    add("deploy", "publication", [c.view_definitions(PROD, "MARTS", D)])

    # pull-request identity: its CI_PR_<n> schemas in dev, deferral reads and clones of prod
    pr_schemas = ["CI_PR_7", "CI_PR_7_MARTS"]
    add(
        "pull_request",
        "pr-schema",
        _sql(pr_schema.create_plan(7, pr_schemas, present=(), database=DEV, dialect=D)),
    )
    add(
        "pull_request", "slim-ci", [c.list_schemas(PROD, D), j.latest_manifest(PROD, JOURNAL, "prod", D)]
    )  # the state to defer to
    add("pull_request", "slim-ci", _dbt_build(DEV, "CI_PR_7_MARTS", DEV))
    add(
        "pull_request",
        "slim-ci",
        [
            # dbt clone of an incremental parent from prod's live colour (zero-copy)
            c.copy_table(c.Relation(DEV, "CI_PR_7_MARTS", "INC"), c.Relation(PROD, "MARTS__BLUE", "INC"), D),
            # --defer: an unchanged parent read through prod's consumer view
            f'CREATE OR REPLACE VIEW "{DEV}"."CI_PR_7_MARTS"."V" AS SELECT * FROM "{PROD}"."MARTS"."DIM_CUSTOMERS"',
        ],
    )
    add("pull_request", "pr-schema", _sql(pr_schema.drop_plan(7, pr_schemas, database=DEV, dialect=D)))
    add("pull_request", "cleanup", [c.list_schemas_created(DEV, "CI_PR_%", D)])
    decisions = [schema_cleanup.Decision("CI_PR_7", 7, "drop", "closed")]
    add(
        "pull_request",
        "cleanup",
        _sql(schema_cleanup.cleanup_plan(decisions, database=DEV, dialect=D, mode="pr")),
    )

    # parity (scheduled, read-only): what CI_READER alone can read
    add(
        "reader",
        "parity",
        _sql(
            parity_check.read_plan(
                environment="prod", database=PROD, dialect=D, schemas=("MARTS",), reader_roles=reader_roles
            )
        ),
    )
    add("reader", "parity", [c.row_count(c.Relation(PROD, "MARTS", "FCT_ORDERS"), D)])
    return out


# --- privileges per statement ---------------------------------------------------------------------

NAME = r'"([A-Z0-9_]+)"\."([A-Z0-9_]+)"(?:\."([A-Z0-9_]+)")?'
Q = re.compile(NAME)


def _names(text: str) -> list[tuple[str, str, str | None]]:
    return [(m.group(1), m.group(2), m.group(3)) for m in Q.finditer(text)]


def _rel(text: str) -> tuple[str, str, str]:
    db, schema, name = _names(text)[0]
    assert name is not None, text
    return db, schema, name


def _schema_of(text: str) -> tuple[str, str]:
    db, schema, _ = _names(text)[0]
    return db, schema


# (pattern, function(match, statement) -> list of (privilege, on, db, schema, name)); first match wins.
Spec = tuple[str, str, str, str | None, str | None]


def _reads(text: str) -> list[Spec]:
    """SELECT on every relation read after FROM / JOIN / CLONE (a view or a table)."""
    found = []
    for m in re.finditer(r"\b(?:FROM|JOIN|CLONE)\s+" + NAME, text):
        db, schema, name = m.group(1), m.group(2), m.group(3)
        if name is None or schema == "INFORMATION_SCHEMA":
            continue
        on = "view" if kind_of(schema) in ("consumer", "shadow") else "table"
        found.append(("SELECT", on, db, schema, name))
    return found


def _create_table(m: re.Match[str], sql: str) -> list[Spec]:
    db, schema, name = _rel(sql)
    specs: list[Spec] = [("CREATE TABLE", "schema", db, schema, None)]
    if "OR REPLACE" in m.group(0):
        specs.append(("OWNERSHIP", "table", db, schema, name))
    return specs + _reads(sql[m.end() :])


def _create_view(m: re.Match[str], sql: str) -> list[Spec]:
    db, schema, name = _rel(sql)
    specs: list[Spec] = [("CREATE VIEW", "schema", db, schema, None)]
    if "OR REPLACE" in m.group(0):
        specs.append(("OWNERSHIP", "view", db, schema, name))
    return specs + _reads(sql[m.end() :])


def _create_schema(m: re.Match[str], sql: str) -> list[Spec]:
    db, schema = _schema_of(sql)
    specs: list[Spec] = [("CREATE SCHEMA", "database", db, None, None)]
    if "OR REPLACE" in m.group(0):
        specs.append(("OWNERSHIP", "schema", db, schema, None))
    return specs


def _dml(privilege: str) -> Any:
    def rule(m: re.Match[str], sql: str) -> list[Spec]:
        db, schema, name = _rel(sql)
        return [(privilege, "table", db, schema, name), *_reads(sql[m.end() :])]

    return rule


def _both_owned(on: str) -> Any:
    def rule(m: re.Match[str], sql: str) -> list[Spec]:
        names = _names(sql)
        return [("OWNERSHIP", on, db, schema, name) for db, schema, name in names[:2]]

    return rule


RULES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"^CREATE (OR REPLACE )?SCHEMA( IF NOT EXISTS)? "), _create_schema),
    (re.compile(r"^DROP SCHEMA "), lambda m, s: [("OWNERSHIP", "schema", *_schema_of(s), None)]),
    (
        re.compile(r"^ALTER SCHEMA .* SWAP WITH "),
        lambda m, s: (
            [("CREATE SCHEMA", "database", _names(s)[0][0], None, None)]
            + [("OWNERSHIP", "schema", db, sch, None) for db, sch, _ in _names(s)]
        ),
    ),
    (re.compile(r"^CREATE (OR REPLACE )?(TRANSIENT )?TABLE( IF NOT EXISTS)? "), _create_table),
    (re.compile(r"^CREATE (OR REPLACE )?VIEW "), _create_view),
    (re.compile(r"^ALTER TABLE .* SWAP WITH "), _both_owned("table")),
    (
        re.compile(r"^ALTER TABLE .* RENAME TO "),
        lambda m, s: [("OWNERSHIP", "table", *_rel(s)), ("CREATE TABLE", "schema", *_schema_of(s), None)],
    ),
    (
        re.compile(r"^UNDROP TABLE "),
        lambda m, s: [("OWNERSHIP", "table", *_rel(s)), ("CREATE TABLE", "schema", *_schema_of(s), None)],
    ),
    (re.compile(r"^DROP (TABLE|VIEW) "), lambda m, s: [("OWNERSHIP", m.group(1).lower(), *_rel(s))]),
    (re.compile(r"^INSERT INTO "), _dml("INSERT")),
    (re.compile(r"^UPDATE "), _dml("UPDATE")),
    (re.compile(r"^DELETE FROM "), _dml("DELETE")),
    (re.compile(r"^GRANT \w+ ON SCHEMA "), lambda m, s: [("OWNERSHIP", "schema", *_schema_of(s), None)]),
    (
        re.compile(r"^GRANT \w+ ON ALL VIEWS IN SCHEMA "),
        lambda m, s: [("OWNERSHIP", "view", *_schema_of(s), "*")],
    ),
    (re.compile(r"^SHOW GRANTS ON SCHEMA "), lambda m, s: [("USAGE", "schema", *_schema_of(s), None)]),
    # SHOW GRANTS TO ROLE needs no object privilege: it lists the grants of a role in the session role's
    # hierarchy (show-grants); the deploy role holds the reader roles it checks (REPORTER -> TRANSFORMER ->
    # DEPLOYER), which runbooks/snowflake-grants.md states
    (re.compile(r"^SHOW GRANTS TO ROLE "), lambda m, s: []),
    (
        re.compile(r'^SHOW (TERSE )?SCHEMAS .*IN DATABASE "(\w+)"'),
        lambda m, s: [("USAGE", "database", m.group(2), None, None)],
    ),
    (
        re.compile(r"^SHOW (TERSE )?(OBJECTS|TABLES) .*IN SCHEMA "),
        lambda m, s: [("USAGE", "schema", *_schema_of(s), None)],
    ),
    (
        re.compile(r'^SELECT .* FROM "(\w+)"\.information_schema\.', re.S),
        lambda m, s: [("USAGE", "database", m.group(1), None, None)],
    ),
    (re.compile(r"^SELECT "), lambda m, s: _reads(s)),
]


def classify(sql: str) -> list[Spec]:
    """The privileges one statement needs; AssertionError for a statement no rule knows."""
    for pattern, rule in RULES:
        if m := pattern.search(sql):
            specs: list[Spec] = rule(m, sql)
            # USAGE on the database and schema of everything a statement names
            for db, schema, _name in _names(sql):
                specs.append(("USAGE", "database", db, None, None))
                if schema != "INFORMATION_SCHEMA":
                    specs.append(("USAGE", "schema", db, schema, None))
            return specs
    raise AssertionError(f"no privilege rule for: {sql}")


def needs(statements: list[Statement], identity: str) -> list[Need]:
    """The privileges the identity's statements need from grants: what it does not own.

    An identity owns a schema it creates (CREATE SCHEMA) and every table or view it creates; the
    owner holds every privilege on it (OWNERSHIP). Terraform's schemas (RAW, PIPELINEOPS) and the
    loader's tables are owned by others.
    """
    mine = [s for s in statements if s.identity == identity]
    owned: set[tuple[str, str, str | None]] = set()
    for s in mine:
        for m in re.finditer(
            r"^CREATE (?:OR REPLACE )?(SCHEMA|(?:TRANSIENT )?TABLE|VIEW)( IF NOT EXISTS)? " + NAME, s.sql
        ):
            what, db, schema, name = m.group(1), m.group(3), m.group(4), m.group(5)
            if what == "SCHEMA" and schema in (JOURNAL, "RAW"):
                continue  # IF NOT EXISTS on Terraform's schema: it exists, owned by SYSADMIN
            owned.add((db, schema, None if what == "SCHEMA" else name))
        if m := re.match(r"^ALTER TABLE " + NAME + r" RENAME TO " + NAME, s.sql):
            owned.add((m.group(4), m.group(5), m.group(6)))
    # schema swaps keep the owners: a swapped consumer schema is the shadow the identity created
    for db, schema, _ in list(owned):
        if schema.endswith("__NEXT"):
            owned.add((db, schema.removesuffix("__NEXT"), None))
    out = []
    for s in mine:
        for privilege, on, db, schema, name in classify(s.sql):
            if on == "database":
                key: tuple[str, str, str | None] | None = None
            elif on == "schema":
                key = (db, str(schema), None)
            else:
                key = (db, str(schema), name)
            # only the identity creates objects in the schemas it created: it owns them all
            if key is not None and (key in owned or (db, str(schema), None) in owned):
                continue
            kind = "-" if on == "database" else kind_of(str(schema))
            out.append(
                Need(
                    privilege,
                    on,
                    kind,
                    ENV_OF[db],
                    f"{db}.{schema or ''}.{name or ''}".rstrip("."),
                    f"{s.plan}: {s.sql[:120]}",
                )
            )
    return out


# --- what Terraform grants ------------------------------------------------------------------------


def _grant_keys(target: str, privilege: str, raw_schema_level: set[str]) -> list[tuple[str, str, str]]:
    """(privilege, on, kind) keys one Terraform grant covers; "*" stands for every kind."""
    if target.startswith("warehouse "):
        return [(privilege, "warehouse", target.split()[1])]
    if target.startswith("database "):
        return [(privilege, "database", "-")]
    if target.startswith("schema "):
        return [(privilege, "schema", kind_of(target.split(".")[-1]))]
    m = re.match(r"^(future|all) (schemas|TABLES|VIEWS) in (database|schema) (\S+)$", target)
    assert m, target
    plural, where, obj = m.group(2), m.group(3), m.group(4)
    on = {"schemas": "schema", "TABLES": "table", "VIEWS": "view"}[plural]
    if where == "schema":
        return [(privilege, on, kind_of(obj.split(".")[-1]))]
    if on == "schema":
        return [(privilege, on, "*")]
    # database-level grants on objects do not reach a schema that has schema-level future grants
    # for that object type (bcr-1870): those kinds are excluded
    return [(privilege, on, f"*-{','.join(sorted(raw_schema_level))}" if raw_schema_level else "*")]


def _covers(key: tuple[str, str, str], need: Need) -> bool:
    privilege, on, kind = key
    if privilege != need.privilege or on != need.on:
        return False
    if kind == "*":
        return True
    if kind.startswith("*-"):
        return need.kind not in kind[2:].split(",")
    return kind == need.kind


@dataclass(frozen=True)
class Identity:
    name: str
    roles: dict[str, tuple[str, ...]]  # env -> roles it holds there (with inheritance)
    warehouse: str


def identities(root: Path) -> dict[str, Identity]:
    """The identities the product logs in as, with the roles Terraform gives them in dev and prod."""
    declared = declared_access(root)
    spec = load_spec(root)
    users = {u["identity"]: u for u in spec["users"].values()}
    parents = {r: [p for p in ps if p in declared["roles"]] for r, ps in declared["roles"].items()}
    prod_call = next(b for b in load_module(root / "envs/prod").of("module"))
    cross = [str(r) for r in prod_call.body.get("ci_reader_granted_to", [])]
    pr_role = users["pull_request"]["default_role"]
    prod_pr = ("CI_READER",) if f"DEV_{pr_role}" in cross else ()
    return {
        "deploy": Identity(
            "deploy",
            {"prod": tuple(sorted(_inherited(users["deploy"]["default_role"], parents)))},
            users["deploy"]["default_warehouse"],
        ),
        "pull_request": Identity(
            "pull_request",
            {
                "dev": tuple(sorted(_inherited(pr_role, parents))),
                "prod": tuple(sorted(r for p in prod_pr for r in _inherited(p, parents))),
            },
            users["pull_request"]["default_warehouse"],
        ),
        "reader": Identity("reader", {"prod": tuple(sorted(_inherited("CI_READER", parents)))}, ""),
    }


def held(root: Path, identity: Identity) -> dict[str, dict[tuple[str, str, str], str]]:
    """env -> grant key -> the role and target that give it."""
    declared = declared_access(root)
    schema_level = {
        kind_of(t.split()[-1].split(".")[-1])
        for grants in declared["grants"].values()
        for t in grants
        if re.match(r"^future (TABLES|VIEWS) in schema ", t)
    }
    out: dict[str, dict[tuple[str, str, str], str]] = {}
    for env, roles in identity.roles.items():
        keys = out.setdefault(env, {})
        for role in roles:
            for target, privileges in declared["grants"].get(role, {}).items():
                for privilege in privileges:
                    for key in _grant_keys(target, privilege, schema_level):
                        keys.setdefault(key, f"{role} on {target}")
    return out


def check_identities(root: Path, statements: list[Statement] | None = None) -> list[str]:
    statements = rendered() if statements is None else statements
    problems: list[str] = []
    for identity in identities(root).values():
        grants = held(root, identity)
        wanted = needs(statements, identity.name)
        if identity.warehouse:
            env = "dev" if identity.name == "pull_request" else "prod"
            wanted.append(
                Need("USAGE", "warehouse", identity.warehouse, env, identity.warehouse, "every statement")
            )
        used: set[tuple[str, tuple[str, str, str]]] = set()
        for need in wanted:
            env_grants = grants.get(need.env, {})
            covering = [
                k
                for k in env_grants
                if (k[1] == "warehouse" and k == (need.privilege, "warehouse", need.kind))
                or (k[1] != "warehouse" and _covers(k, need))
            ]
            if not covering:
                problems.append(
                    f"{identity.name}: needs {need.privilege} on {need.on} {need.obj} ({need.kind}, {need.env}) "
                    f"for {need.why}; no Terraform grant gives it"
                )
            used.update((need.env, k) for k in covering)
        own_roles = {"deploy": "DEPLOYER", "pull_request": "PR_CI", "reader": "CI_READER"}[identity.name]
        if identity.name == "reader":
            continue  # CI_READER is sized for the pull-request identity; parity only has to fit in it
        for env, keys in grants.items():
            for key, source in sorted(keys.items()):
                if key[1] == "warehouse" and not source.startswith(f"{own_roles} "):
                    continue  # workload warehouses that come with the role hierarchy
                if (env, key) not in used:
                    problems.append(
                        f"{identity.name}: holds {key[0]} on {key[1]} ({key[2]}, {env}) through {source}, "
                        "which nothing the product runs needs"
                    )
                if identity.name == "pull_request" and env == "prod":
                    kinds = PROTECTED_KINDS if key[2] in ("*",) or key[2].startswith("*-") else {key[2]}
                    if key[0] in WRITES and (kinds & PROTECTED_KINDS or key[1] == "database"):
                        problems.append(
                            f"pull_request: holds {key[0]} on {key[1]} in prod through {source}: the pull-request "
                            "identity must never own or write prod's consumer, colour or journal schemas"
                        )
        if identity.name == "pull_request":
            for need in wanted:
                if need.env == "prod" and need.privilege in WRITES:
                    problems.append(
                        f"pull_request: would write prod: {need.privilege} on {need.obj} for {need.why}"
                    )
    return problems
