"""A small Snowflake-semantics shim over the fakesnow emulator, for the Snowflake end-to-end lane.

fakesnow 0.11.15 runs Snowflake SQL on DuckDB and lacks a few statements the production engine sends
(DESIGN.md §6). ``Shim.install()`` wraps ``FakeSnowflakeCursor.execute`` in this process, so every session
of the in-process fakesnow server (ours, and dbt's from its subprocess) goes through it. Each rule below
follows Snowflake's documented behaviour, cites the page, and **refuses what Snowflake refuses** with
Snowflake's error code, so a statement that would fail on Snowflake fails here too. Everything else goes to
fakesnow unchanged.

Rules:

* ``ALTER SCHEMA a SWAP WITH b`` exchanges the two schemas' contents in one step, grants included
  (https://docs.snowflake.com/en/sql-reference/sql/alter-schema: "Swaps all objects (tables, views, etc.)
  and metadata, including identifiers, between the two specified schemas. Also swaps all access control
  privileges granted on the schemas and objects they contain.").
* Table kinds: ``CREATE [OR REPLACE] TRANSIENT|TEMPORARY TABLE`` is remembered (fakesnow drops the word),
  ``SHOW TABLES`` reports it in ``kind``, and a clone of a transient or temporary table must itself be
  transient or temporary: otherwise error 002120 "Transient object cannot be cloned to a permanent object"
  (https://docs.snowflake.com/en/user-guide/tables-temp-transient, "Comparison of table types";
  https://docs.snowflake.com/en/sql-reference/sql/create-clone). A clone keeps no grants of its source
  unless COPY GRANTS is given (create-clone, "Access control privileges for cloned objects").
* ``GRANT <privilege> ON SCHEMA|VIEW|ALL VIEWS IN SCHEMA|FUTURE VIEWS IN SCHEMA … TO ROLE`` and
  ``SHOW GRANTS ON SCHEMA|VIEW|TABLE`` (https://docs.snowflake.com/en/sql-reference/sql/grant-privilege,
  https://docs.snowflake.com/en/sql-reference/sql/show-grants): grants live on the object, move with it on a
  SWAP, disappear with it on DROP/CREATE OR REPLACE; ``ALL VIEWS`` grants on the views that exist now,
  ``FUTURE`` on views created later in the schema; ``CREATE OR REPLACE VIEW … COPY GRANTS`` keeps the
  replaced view's grants (https://docs.snowflake.com/en/sql-reference/sql/create-view).
* ``CREATE OR REPLACE SCHEMA`` drops the existing schema with its objects and grants first
  (https://docs.snowflake.com/en/sql-reference/sql/create-schema, OR REPLACE).
* ``CREATE [OR REPLACE] SCHEMA a CLONE b`` copies b's tables and views with the grants on them, but not the
  grants on b itself, its future grants or managed access ("the clone of the container itself does not
  inherit the privileges granted on the source container":
  https://docs.snowflake.com/en/user-guide/object-clone, "Access control privileges for cloned objects").
* ``SHOW FUTURE GRANTS IN SCHEMA`` and ``SHOW GRANTS TO ROLE`` list the grants kept here
  (https://docs.snowflake.com/en/sql-reference/sql/show-grants); ``… WITH GRANT OPTION`` is accepted and
  reported in ``grant_option``. A new view inherits the schema's future grants; ``CREATE OR REPLACE VIEW …
  COPY GRANTS`` of an existing view keeps that view's grants and inherits no future grants
  (https://docs.snowflake.com/en/sql-reference/sql/create-view, COPY GRANTS).
* ``ALTER SCHEMA … ENABLE MANAGED ACCESS`` is remembered, reported by ``SHOW SCHEMAS`` in ``options``, and
  swapped with the schema (https://docs.snowflake.com/en/sql-reference/sql/alter-schema).
* dbt-snowflake's seed ``INSERT OVERWRITE INTO`` (which fakesnow cannot parse) runs as ``INSERT INTO``
  after emptying the table (https://docs.snowflake.com/en/sql-reference/sql/insert, OVERWRITE).
* Time travel on the tables of the colour schemas: each DML keeps the rows it replaces, each DROP or
  CREATE OR REPLACE keeps the dropped table. ``CLONE … AT (TIMESTAMP|OFFSET => …)`` reads the version of
  that time, and fails (000707) before the table's creation or beyond its retention
  (https://docs.snowflake.com/en/user-guide/data-time-travel,
  https://docs.snowflake.com/en/sql-reference/constructs/at-before); ``UNDROP TABLE`` brings back the
  latest dropped version and is refused (002002) while the name is taken
  (https://docs.snowflake.com/en/sql-reference/sql/undrop-table); ``ALTER TABLE … SWAP WITH`` and
  ``RENAME TO`` move data, history and grants (https://docs.snowflake.com/en/sql-reference/sql/alter-table);
  ``SHOW TABLES`` reports the real ``created_on``. ``BEFORE (STATEMENT => …)`` is not emulated (refused).
* A quoted identifier is case-sensitive and an unquoted one is stored upper-case
  (https://docs.snowflake.com/en/sql-reference/identifiers-syntax): every object of the lane is created
  unquoted or quoted upper-case, so a qualified name whose quoted last part has a lower-case letter names
  nothing (002003), where DuckDB would resolve it case-insensitively.
* ``ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = n`` (0 to 604800) and ``ALTER SESSION UNSET
  STATEMENT_TIMEOUT_IN_SECONDS`` are accepted and enforce nothing: the emulator's statements are small
  (https://docs.snowflake.com/en/sql-reference/parameters#statement-timeout-in-seconds); a value out of
  range is refused (001008).
* ``TABLE(<db>.INFORMATION_SCHEMA.QUERY_HISTORY(…)) WHERE query_id = '<id>'`` answers from
  ``Shim.queries`` (query id → type and start time, as the test sets them): the emulator keeps no query
  history (https://docs.snowflake.com/en/sql-reference/functions/query_history).
* ``CREATE ROLE [IF NOT EXISTS]`` and ``DROP ROLE [IF EXISTS]`` keep role names in ``Shim.roles``; dropping a
  role drops the grants to it (https://docs.snowflake.com/en/sql-reference/sql/drop-role). Grants to a role
  the emulator never saw created are kept all the same (the lane's scenarios name their roles without
  creating them). ``DROP DATABASE [IF EXISTS]`` detaches the database and forgets its kinds, grants and
  history (https://docs.snowflake.com/en/sql-reference/sql/drop-database). These serve the live lane's code
  when it is pointed at the emulator (``test_live_lane.py``).
* ``BEGIN [TRANSACTION]`` opens a transaction (fakesnow's server cannot describe it afterwards).
* Anything the emulator raises that is not a Snowflake error becomes a ``ProgrammingError`` (errno 2000,
  compilation error), so the connector gets an error reply instead of an HTTP 500 it would retry.

Every statement a session sends is appended to ``Shim.statements`` (both ours and dbt's). ``Shim.faults``
injects failures for the tests: a statement matching a fault's pattern fails before it runs, or runs and then
fails (a reply lost after the statement took effect), or is swallowed (answered OK, not run).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import fakesnow.cursor
import pyarrow as pa
from snowflake.connector.errors import ProgrammingError

NAME = r'(?:"[^"]+"|[A-Za-z_][\w$]*)'
QNAME = rf"{NAME}(?:\s*\.\s*{NAME}){{0,2}}"
COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
STRING = re.compile(r"'(?:[^'\\]|''|\\.)*'")
#: the last part of a qualified name, quoted, with a lower-case letter: no object of this lane has one
QUOTED_LOWER = re.compile(rf'{NAME}\s*\.\s*"[^"]*[a-z][^"]*"')
DML = re.compile(
    rf"(?is)^(?:INSERT\s+(?:OVERWRITE\s+)?INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO|TRUNCATE(?:\s+TABLE)?)\s+(?P<name>{QNAME})"
)
HIDDEN = "_fs_shim_time_travel"
RETENTION_DAYS = 1  # DATA_RETENTION_TIME_IN_DAYS: the default, and the most a transient table keeps
OK = "SELECT 'Statement executed successfully.' AS \"status\""

Key = tuple[str, str, str]  # (database, schema, name), upper-cased as Snowflake resolves unquoted names


def now() -> datetime:
    return datetime.now(UTC)


def _part(text: str) -> str:
    text = text.strip()
    return text[1:-1] if text.startswith('"') else text.upper()


def _parts(qname: str) -> list[str]:
    return [_part(p) for p in re.findall(NAME, qname)]


def _q(*names: str) -> str:
    return ".".join('"' + n.replace('"', '""') + '"' for n in names)


@dataclass
class Grant:
    privilege: str
    on: str  # SCHEMA | VIEW | TABLE
    key: Key  # for a schema: (database, schema, "")
    role: str
    future: bool = False  # a FUTURE grant on the views of the schema in ``key``
    option: bool = False  # WITH GRANT OPTION


@dataclass
class Fault:
    """A failure injected into the statements matching ``pattern`` (on the whitespace-collapsed text).
    ``when``: ``before`` (fails, nothing done), ``after`` (done, then the reply is an error), ``swallow``
    (answered OK, nothing done). ``times`` statements are affected."""

    pattern: str
    when: str = "before"
    times: int = 1


@dataclass
class Incarnation:
    """One life of a table name: from its CREATE to its DROP (or CREATE OR REPLACE), with the versions its
    DML replaced (time of the change, hidden table holding the rows just before it)."""

    created: datetime
    kind: str = ""
    versions: list[tuple[datetime, str]] = field(default_factory=list)
    dropped: datetime | None = None
    stored: str | None = None  # hidden table holding the rows when it was dropped (for UNDROP)


@dataclass
class Shim:
    kinds: dict[Key, str] = field(default_factory=dict)  # TRANSIENT | TEMPORARY (permanent: absent)
    history: dict[Key, list[Incarnation]] = field(default_factory=dict)  # tables of the colour schemas
    grants: list[Grant] = field(default_factory=list)
    managed: set[tuple[str, str]] = field(default_factory=set)  # schemas WITH MANAGED ACCESS
    faults: list[Fault] = field(default_factory=list)
    queries: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # the query history
    statements: list[str] = field(default_factory=list)
    roles: set[str] = field(default_factory=set)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _seq: int = 0

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _resolve(cur: Any, qname: str) -> Key:
        parts = _parts(qname)
        conn = cur._conn
        while len(parts) < 3:
            parts.insert(0, (conn.schema if len(parts) == 1 else conn.database) or "")
        return parts[0], parts[1], parts[2]

    @staticmethod
    def _schema(cur: Any, qname: str) -> tuple[str, str]:
        parts = _parts(qname)
        if len(parts) == 1:
            parts.insert(0, cur._conn.database or "")
        return parts[0], parts[1]

    def _drop_object(self, key: Key) -> None:
        self.kinds.pop(key, None)
        self.grants = [g for g in self.grants if not (g.on in ("VIEW", "TABLE") and g.key == key)]

    # -- rules -----------------------------------------------------------------------------------
    def _swap_schemas(self, cur: Any, a: tuple[str, str], b: tuple[str, str]) -> None:
        duck = cur._duck_conn
        if a[0] != b[0]:
            raise ProgrammingError(msg="SWAP WITH needs two schemas of one database", errno=2000)
        db = a[0]
        for s in (a[1], b[1]):
            found = duck.execute(
                "select 1 from duckdb_schemas() where database_name = ? and schema_name = ?", [db, s]
            ).fetchall()
            if not found:
                raise ProgrammingError(
                    msg=f"SQL compilation error:\nSchema '{db}.{s}' does not exist or not authorized.",
                    errno=2003,
                    sqlstate="02000",
                )
        self._seq += 1
        tmp = f"_SHIM_SWAP_{self._seq}"
        duck.execute(f"CREATE SCHEMA {_q(db, tmp)}")
        for src, dst in ((a[1], tmp), (b[1], a[1]), (tmp, b[1])):
            self._move_objects(duck, db, src, dst)
        duck.execute(f"DROP SCHEMA {_q(db, tmp)}")
        # grants and kinds travel with the objects and schemas (alter-schema: SWAP WITH)
        ren = {a[1]: b[1], b[1]: a[1]}
        for g in self.grants:
            if g.key[0] == db and g.key[1] in ren:
                g.key = (db, ren[g.key[1]], g.key[2])
        self.managed = {((d, ren[m]) if d == db and m in ren else (d, m)) for d, m in self.managed}
        self.kinds = {
            ((k[0], ren[k[1]], k[2]) if k[0] == db and k[1] in ren else k): v for k, v in self.kinds.items()
        }
        self.history = {
            ((k[0], ren[k[1]], k[2]) if k[0] == db and k[1] in ren else k): v for k, v in self.history.items()
        }

    @staticmethod
    def _move_objects(duck: Any, db: str, src: str, dst: str) -> None:
        tables = duck.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = ?", [db, src]
        ).fetchall()
        views = duck.execute(
            "select view_name, sql from duckdb_views() where database_name = ? and schema_name = ? "
            "and not internal",
            [db, src],
        ).fetchall()
        for (name,) in tables:
            duck.execute(f"CREATE TABLE {_q(db, dst, name)} AS SELECT * FROM {_q(db, src, name)}")
            duck.execute(f"DROP TABLE {_q(db, src, name)}")
        for name, text in views:
            body = re.match(r"(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+\S+\s+AS\s+(.*?);?\s*$", text)
            assert body, text
            duck.execute(f"CREATE VIEW {_q(db, dst, name)} AS {body.group(1)}")
            duck.execute(f"DROP VIEW {_q(db, src, name)}")

    def _grant(self, cur: Any, m: re.Match[str]) -> None:
        privileges = [" ".join(p.split()).upper() for p in m["privs"].split(",")]
        role = _part(m["role"])
        option = bool(m["option"])
        target = m["target"].strip()
        upper = target.upper()
        if upper.startswith("SCHEMA"):
            db, s = self._schema(cur, target[len("SCHEMA") :])
            self.grants += [Grant(p, "SCHEMA", (db, s, ""), role, option=option) for p in privileges]
        elif upper.startswith(("ALL VIEWS IN SCHEMA", "FUTURE VIEWS IN SCHEMA")):
            future = upper.startswith("FUTURE")
            db, s = self._schema(cur, re.sub(r"(?i)^(ALL|FUTURE)\s+VIEWS\s+IN\s+SCHEMA", "", target))
            if future:
                self.grants += [
                    Grant(p, "SCHEMA", (db, s, ""), role, future=True, option=option) for p in privileges
                ]
            else:
                views = cur._duck_conn.execute(
                    "select view_name from duckdb_views() where database_name = ? and schema_name = ? "
                    "and not internal",
                    [db, s],
                ).fetchall()
                self.grants += [Grant(p, "VIEW", (db, s, v), role) for (v,) in views for p in privileges]
        elif upper.startswith(("VIEW", "TABLE")):
            kind = "VIEW" if upper.startswith("VIEW") else "TABLE"
            key = self._resolve(cur, target[len(kind) :])
            self.grants += [Grant(p, kind, key, role) for p in privileges]
        else:
            raise ProgrammingError(msg=f"shim: unsupported GRANT target {target!r}", errno=2000)

    def _show_grants_on_schema(self, cur: Any, db: str, s: str, orig: Callable[..., Any]) -> Any:
        rows = [("OWNERSHIP", "SCHEMA", f"{db}.{s}", "ROLE", "DEPLOYER", "true")]
        rows += [
            (g.privilege, "SCHEMA", f"{db}.{s}", "ROLE", g.role, str(g.option).lower())
            for g in self.grants
            if g.on == "SCHEMA" and g.key == (db, s, "") and not g.future
        ]
        return _rows(cur, orig, COLS, rows)

    def _show_grants_on_object(self, cur: Any, on: str, key: Key, orig: Callable[..., Any]) -> Any:
        catalog = "duckdb_views() where not internal and" if on == "VIEW" else "duckdb_tables() where"
        column = "view_name" if on == "VIEW" else "table_name"
        found = cur._duck_conn.execute(
            f"select 1 from {catalog} database_name = ? and schema_name = ? and {column} = ?", list(key)
        ).fetchall()
        name = ".".join(key)
        if not found:
            raise ProgrammingError(
                msg=f"SQL compilation error:\n{on.title()} '{name}' does not exist or not authorized.",
                errno=2003,
                sqlstate="02000",
            )
        rows = [("OWNERSHIP", on, name, "ROLE", "DEPLOYER", "true")]
        rows += [
            (g.privilege, on, name, "ROLE", g.role, str(g.option).lower())
            for g in self.grants
            if g.on == on and g.key == key
        ]
        return _rows(cur, orig, COLS, rows)

    def _show_future_grants(self, cur: Any, db: str, s: str, orig: Callable[..., Any]) -> Any:
        rows = [
            (g.privilege, "VIEW", f"{db}.{s}.<VIEW>", "ROLE", g.role, str(g.option).lower())
            for g in self.grants
            if g.future and g.key == (db, s, "")
        ]
        return _rows(cur, orig, FUTURE_COLS, rows)

    def _show_grants_to_role(self, cur: Any, role: str, orig: Callable[..., Any]) -> Any:
        rows = [
            (g.privilege, g.on, ".".join(p for p in g.key if p), "ROLE", g.role, str(g.option).lower())
            for g in self.grants
            if g.role == role and not g.future
        ]
        return _rows(cur, orig, COLS, rows)

    def _clone_schema(self, cur: Any, target: tuple[str, str], source: tuple[str, str]) -> None:
        """``CREATE OR REPLACE SCHEMA target CLONE source``: objects and the grants on them; nothing granted
        on the source schema itself (object-clone, "Access control privileges for cloned objects")."""
        duck = cur._duck_conn
        db = target[0]
        duck.execute(f"DROP SCHEMA IF EXISTS {_q(*target)} CASCADE")
        self._drop_schema(*target)
        duck.execute(f"CREATE SCHEMA {_q(*target)}")
        tables = duck.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = ?", list(source)
        ).fetchall()
        for (name,) in tables:
            duck.execute(f"CREATE TABLE {_q(db, target[1], name)} AS SELECT * FROM {_q(db, source[1], name)}")
        views = duck.execute(
            "select view_name, sql from duckdb_views() where database_name = ? and schema_name = ? "
            "and not internal",
            list(source),
        ).fetchall()
        for name, text in views:
            body = re.match(r"(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+\S+\s+AS\s+(.*?);?\s*$", text)
            assert body, text
            duck.execute(f"CREATE VIEW {_q(db, target[1], name)} AS {body.group(1)}")
        self.grants += [
            Grant(g.privilege, g.on, (db, target[1], g.key[2]), g.role, option=g.option)
            for g in self.grants
            if g.on in ("VIEW", "TABLE") and g.key[:2] == source
        ]
        self.kinds.update({(db, target[1], k[2]): v for k, v in self.kinds.items() if k[:2] == source})

    def _show_schemas_like(self, cur: Any, like: str, db: str, orig: Callable[..., Any]) -> Any:
        """``SHOW SCHEMAS LIKE … IN DATABASE``: ``name``, ``database_name`` and ``options`` (``MANAGED ACCESS``
        for a managed schema; fakesnow has no such column). LIKE is case-insensitive, ``_`` any character."""
        pattern = re.compile(re.escape(like).replace("%", ".*").replace("_", "."), re.IGNORECASE)
        names = cur._duck_conn.execute(
            "select schema_name from duckdb_schemas() where database_name = ?", [db]
        ).fetchall()
        rows = [
            (n, db, "MANAGED ACCESS" if (db, n) in self.managed else "")
            for (n,) in names
            if pattern.fullmatch(n)
        ]
        return _rows(cur, orig, ("name", "database_name", "options"), rows)

    def _fault(self, flat: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and re.search(fault.pattern, flat, re.IGNORECASE):
                fault.times -= 1
                return fault
        return None

    def _fix_show_tables(self, cur: Any, db: str, s: str) -> None:
        table = cur._arrow_table
        if table is None or "kind" not in table.column_names or "name" not in table.column_names:
            return
        names = table.column("name").to_pylist()
        kinds = [self.kinds.get((db, s, str(n)), "TABLE") for n in names]
        idx = table.column_names.index("kind")
        table = table.set_column(idx, table.schema.field(idx), pa.array(kinds, pa.string()))
        if "created_on" in table.column_names:
            idx = table.column_names.index("created_on")
            old = table.column(idx).to_pylist()
            created = [
                live.created if (live := self._live((db, s, str(n)))) else was
                for n, was in zip(names, old, strict=True)
            ]
            table = table.set_column(
                idx, table.schema.field(idx), pa.array(created, table.schema.field(idx).type)
            )
        cur._arrow_table = table

    # -- time travel (tables of the colour schemas) ---------------------------------------------------
    @staticmethod
    def _tracked(key: Key) -> bool:
        return key[1].endswith(("__BLUE", "__GREEN"))

    def _live(self, key: Key) -> Incarnation | None:
        lives = [i for i in self.history.get(key, []) if i.dropped is None]
        return lives[-1] if lives else None

    def _keep(self, cur: Any, key: Key) -> str:
        """Copy the table's current rows into a hidden table (fakesnow hides ``_fs*`` schemas)."""
        self._seq += 1
        name = f"T{self._seq}"
        duck = cur._duck_conn
        duck.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(key[0], HIDDEN)}")
        duck.execute(f"CREATE TABLE {_q(key[0], HIDDEN, name)} AS SELECT * FROM {_q(*key)}")
        return name

    def _dropping(self, cur: Any, key: Key) -> None:
        live = self._live(key) if self._tracked(key) else None
        if live is not None:
            live.stored, live.dropped = self._keep(cur, key), now()

    def _created(self, key: Key, kind: str) -> None:
        if self._tracked(key):
            self.history.setdefault(key, []).append(Incarnation(created=now(), kind=kind))

    def _point(self, clause: str) -> datetime:
        """The time an AT/BEFORE clause names (https://docs.snowflake.com/en/sql-reference/constructs/at-before)."""
        if m := re.match(
            r"(?is)^AT\s*\(\s*TIMESTAMP\s*=>\s*CAST\s*\(\s*'([^']+)'\s+AS\s+\w+\s*\)\s*\)$", clause
        ):
            return datetime.fromisoformat(m[1])
        if m := re.match(r"(?is)^AT\s*\(\s*OFFSET\s*=>\s*(-?\d+)\s*\)$", clause):
            return now() + timedelta(seconds=int(m[1]))
        raise ProgrammingError(msg=f"shim: time travel clause not emulated: {clause}", errno=2000)

    def _clone_at(self, cur: Any, side: Key, kind: str, source: Key, clause: str) -> None:
        """``CREATE [TRANSIENT] TABLE side CLONE source AT|BEFORE (…)``: the rows the source had then.

        Beyond the retention period (1 day for a transient table, the default for the others) or before
        the table's creation, Snowflake answers 000707 (https://docs.snowflake.com/en/user-guide/data-time-travel).
        """
        at = self._point(clause)
        live = self._live(source)
        if live is None or at < live.created or at < now() - timedelta(days=RETENTION_DAYS):
            raise ProgrammingError(
                msg=f"Time travel data is not available for table {source[2]}. The requested time is either "
                "beyond the allowed time travel period or before the object creation time.",
                errno=707,
                sqlstate="02000",
            )
        later = [name for changed, name in live.versions if changed > at]
        rows = _q(source[0], HIDDEN, later[0]) if later else _q(*source)
        duck = cur._duck_conn
        duck.execute(f"CREATE TABLE {_q(*side)} AS SELECT * FROM {rows}")
        self.kinds.pop(side, None)
        if kind:
            self.kinds[side] = kind
        self._created(side, kind)

    def _swap_tables(self, cur: Any, a: Key, b: Key) -> None:
        """``ALTER TABLE a SWAP WITH b``: names, data, history and grants exchanged in one step
        (https://docs.snowflake.com/en/sql-reference/sql/alter-table, SWAP WITH)."""
        duck = cur._duck_conn
        self._seq += 1
        tmp = f"_SHIM_SWAP_{self._seq}"
        duck.execute(f"ALTER TABLE {_q(*a)} RENAME TO {_q(tmp)}")
        duck.execute(f"ALTER TABLE {_q(*b)} RENAME TO {_q(a[2])}")
        duck.execute(f"ALTER TABLE {_q(a[0], a[1], tmp)} RENAME TO {_q(b[2])}")
        ka, kb = self.kinds.pop(a, None), self.kinds.pop(b, None)
        if ka:
            self.kinds[b] = ka
        if kb:
            self.kinds[a] = kb
        la, lb = self._take_live(a), self._take_live(b)
        self._put_live(b, la)
        self._put_live(a, lb)
        for g in self.grants:
            g.key = b if g.key == a else a if g.key == b else g.key

    def _take_live(self, key: Key) -> Incarnation | None:
        """The live incarnation leaves the name; dropped ones stay with it (UNDROP works by name)."""
        live = self._live(key)
        if live is not None:
            self.history[key].remove(live)
        return live

    def _put_live(self, key: Key, live: Incarnation | None) -> None:
        if live is not None:
            self.history.setdefault(key, []).append(live)

    def _rename_table(self, cur: Any, a: Key, b: Key) -> None:
        cur._duck_conn.execute(f"ALTER TABLE {_q(*a)} RENAME TO {_q(b[2])}")
        if a in self.kinds:
            self.kinds[b] = self.kinds.pop(a)
        self._put_live(b, self._take_live(a))
        for g in self.grants:
            g.key = b if g.key == a else g.key

    def _undrop(self, cur: Any, key: Key) -> None:
        """The most recently dropped table of that name comes back, with its history; refused while a
        table of that name exists (https://docs.snowflake.com/en/sql-reference/sql/undrop-table)."""
        exists = cur._duck_conn.execute(
            "select 1 from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
            list(key),
        ).fetchall()
        if exists:
            raise ProgrammingError(
                msg=f"SQL compilation error:\nObject '{key[2]}' already exists.", errno=2002, sqlstate="42710"
            )
        dropped = [i for i in self.history.get(key, []) if i.dropped is not None and i.stored]
        if not dropped or dropped[-1].dropped < now() - timedelta(days=RETENTION_DAYS):  # type: ignore[operator]
            raise ProgrammingError(
                msg=f"SQL compilation error:\nTable '{key[2]}' does not exist or not authorized.",
                errno=2003,
                sqlstate="02000",
            )
        inc = dropped[-1]
        cur._duck_conn.execute(
            f"CREATE TABLE {_q(*key)} AS SELECT * FROM {_q(key[0], HIDDEN, inc.stored or '')}"
        )
        self.history[key].remove(inc)
        self.history[key].append(inc)
        inc.dropped = inc.stored = None
        self.kinds.pop(key, None)
        if inc.kind:
            self.kinds[key] = inc.kind

    # -- the wrapper -----------------------------------------------------------------------------
    def handle(self, cur: Any, command: str, orig: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        text = command.strip().rstrip(";").strip()
        self.statements.append(text)
        flat = " ".join(COMMENT.sub(" ", text).split()).rstrip(";").strip()  # dbt adds /* query comments */
        code = STRING.sub("''", flat)
        if m := QUOTED_LOWER.search(code):
            raise ProgrammingError(
                msg=f"SQL compilation error:\nObject '{m[0]}' does not exist or not authorized.",
                errno=2003,
                sqlstate="42S02",
            )
        fault = self._fault(flat)
        if fault is not None and fault.when == "swallow":
            return orig(cur, OK)
        if fault is not None and fault.when == "before":
            raise ProgrammingError(msg=f"injected failure before: {flat[:200]}", errno=2000, sqlstate="42601")
        result = self._handle(cur, flat, code, command, orig, args, kwargs)
        if fault is not None:
            raise ProgrammingError(
                msg=f"injected lost reply after: {flat[:200]}", errno=2000, sqlstate="42601"
            )
        return result

    def _handle(
        self, cur: Any, flat: str, code: str, command: str, orig: Callable[..., Any], args: Any, kwargs: Any
    ) -> Any:
        if re.match(r"(?is)^(BEGIN|START)(\s+(TRANSACTION|WORK))?$", flat):
            # fakesnow's server describes the statement after running it, which fails for BEGIN
            orig(cur, "BEGIN TRANSACTION")
            return orig(cur, OK)
        if m := re.match(r"(?is)^ALTER\s+SESSION\s+SET\s+STATEMENT_TIMEOUT_IN_SECONDS\s*=\s*(\d+)$", flat):
            if int(m[1]) > 604_800:
                raise ProgrammingError(
                    msg=f"invalid value [{m[1]}] for parameter 'STATEMENT_TIMEOUT_IN_SECONDS'",
                    errno=1008,
                    sqlstate="22023",
                )
            return orig(cur, OK)
        if re.match(r"(?is)^ALTER\s+SESSION\s+UNSET\s+STATEMENT_TIMEOUT_IN_SECONDS$", flat):
            return orig(cur, OK)
        if m := re.match(rf"(?is)^CREATE\s+ROLE\s+(?:IF\s+NOT\s+EXISTS\s+)?({NAME})$", flat):
            self.roles.add(_part(m[1]))
            return orig(cur, OK)
        if m := re.match(rf"(?is)^DROP\s+ROLE\s+(?:IF\s+EXISTS\s+)?({NAME})$", flat):
            role = _part(m[1])
            self.roles.discard(role)
            self.grants = [g for g in self.grants if g.role != role]
            return orig(cur, OK)
        if m := re.match(rf"(?is)^DROP\s+DATABASE\s+(?:IF\s+EXISTS\s+)?({NAME})$", flat):
            self._drop_database(cur, _part(m[1]))
            return orig(cur, OK)
        if m := re.match(rf"(?is)^ALTER\s+SCHEMA\s+({QNAME})\s+SWAP\s+WITH\s+({QNAME})$", flat):
            self._swap_schemas(cur, self._schema(cur, m[1]), self._schema(cur, m[2]))
            return orig(cur, OK)
        if m := re.match(
            rf"(?is)^GRANT\s+(?P<privs>[A-Z ,]+?)\s+ON\s+(?P<target>.+?)\s+TO\s+ROLE\s+(?P<role>{NAME})"
            r"(?P<option>\s+WITH\s+GRANT\s+OPTION)?$",
            flat,
        ):
            self._grant(cur, m)
            return orig(cur, OK)
        if m := re.match(rf"(?is)^SHOW\s+GRANTS\s+ON\s+SCHEMA\s+({QNAME})$", flat):
            return self._show_grants_on_schema(cur, *self._schema(cur, m[1]), orig)
        if m := re.match(rf"(?is)^SHOW\s+GRANTS\s+ON\s+(VIEW|TABLE)\s+({QNAME})$", flat):
            return self._show_grants_on_object(cur, m[1].upper(), self._resolve(cur, m[2]), orig)
        if m := re.search(
            r"(?is)\binformation_schema\.query_history\(.*\bWHERE\s+query_id\s*=\s*'([^']*)'$", flat
        ):
            found = self.queries.get(m[1])
            if found:  # a TIMESTAMP_LTZ, as Snowflake returns it
                return orig(
                    cur,
                    f"SELECT '{m[1]}' AS query_id, '{found[0]}' AS query_type, "
                    f"CAST('{found[1].isoformat()}' AS TIMESTAMPTZ) AS start_time",
                )
            return orig(
                cur, "SELECT '' AS query_id, '' AS query_type, CURRENT_TIMESTAMP AS start_time WHERE 1 = 0"
            )
        if m := re.match(rf"(?is)^SHOW\s+FUTURE\s+GRANTS\s+IN\s+SCHEMA\s+({QNAME})$", flat):
            return self._show_future_grants(cur, *self._schema(cur, m[1]), orig)
        if m := re.match(rf"(?is)^SHOW\s+GRANTS\s+TO\s+ROLE\s+({NAME})$", flat):
            return self._show_grants_to_role(cur, _part(m[1]), orig)
        if m := re.match(rf"(?is)^ALTER\s+SCHEMA\s+({QNAME})\s+ENABLE\s+MANAGED\s+ACCESS$", flat):
            self.managed.add(self._schema(cur, m[1]))
            return orig(cur, OK)
        if m := re.match(
            rf"(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?SCHEMA\s+({QNAME})\s+CLONE\s+({QNAME})$", flat
        ):
            self._clone_schema(cur, self._schema(cur, m[1]), self._schema(cur, m[2]))
            return orig(cur, OK)
        if m := re.match(rf"(?is)^SHOW\s+SCHEMAS\s+LIKE\s+'([^']*)'\s+IN\s+DATABASE\s+({NAME})$", flat):
            return self._show_schemas_like(cur, m[1], _part(m[2]), orig)
        if m := re.match(rf"(?is)^ALTER\s+TABLE\s+({QNAME})\s+SWAP\s+WITH\s+({QNAME})$", flat):
            self._swap_tables(cur, self._resolve(cur, m[1]), self._resolve(cur, m[2]))
            return orig(cur, OK)
        if m := re.match(rf"(?is)^ALTER\s+TABLE\s+({QNAME})\s+RENAME\s+TO\s+({QNAME})$", flat):
            self._rename_table(cur, self._resolve(cur, m[1]), self._resolve(cur, m[2]))
            return orig(cur, OK)
        if m := re.match(rf"(?is)^UNDROP\s+TABLE\s+({QNAME})$", flat):
            self._undrop(cur, self._resolve(cur, m[1]))
            return orig(cur, OK)
        if m := re.match(DML, flat):
            key = self._resolve(cur, m["name"])
            live = self._live(key) if self._tracked(key) else None
            if live is not None:
                live.versions.append((now(), self._keep(cur, key)))
        if re.match(r"(?is)^INSERT\s+OVERWRITE\s+INTO\s", flat):
            target = re.match(rf"(?is)^INSERT\s+OVERWRITE\s+INTO\s+({QNAME})", flat)
            assert target
            orig(cur, f"DELETE FROM {target[1]}")
            command = re.sub(r"(?is)^\s*INSERT\s+OVERWRITE\s+INTO\s", "INSERT INTO ", command, count=1)
            return orig(cur, command, *args, **kwargs)
        if m := re.match(
            rf"(?is)^CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?:(?P<kind>TRANSIENT|TEMPORARY|TEMP|LOCAL\s+TEMPORARY)\s+)?"
            rf"TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{QNAME})(?P<rest>.*)$",
            flat,
        ):
            key = self._resolve(cur, m["name"])
            kind = (m["kind"] or "").upper()
            kind = "TEMPORARY" if "TEMP" in kind else kind
            if c := re.match(rf"(?is)^\s+CLONE\s+({QNAME})\s*(.*)$", m["rest"]):
                source = self._resolve(cur, c[1])
                if self.kinds.get(source) in ("TRANSIENT", "TEMPORARY") and not kind:
                    raise ProgrammingError(
                        msg="SQL compilation error:\nTransient object cannot be cloned to a permanent object.",
                        errno=2120,
                        sqlstate="0A000",
                    )
                if c[2]:
                    if m["replace"]:
                        self._dropping(cur, key)
                        orig(cur, f"DROP TABLE IF EXISTS {m['name']}")
                    self._clone_at(cur, key, kind, source, c[2])
                    return orig(cur, OK)
            if m["replace"]:
                self._dropping(cur, key)
                if c:  # fakesnow's CLONE does not replace an existing table
                    orig(cur, f"DROP TABLE IF EXISTS {m['name']}")
            result = orig(cur, command, *args, **kwargs)
            self._created(key, kind)
            if m["replace"]:
                self._drop_object(key)
            if kind:
                self.kinds[key] = kind
            else:
                self.kinds.pop(key, None)
            return result
        if m := re.match(rf"(?is)^DROP\s+(TABLE|VIEW)\s+(?:IF\s+EXISTS\s+)?({QNAME})", flat):
            if m[1].upper() == "TABLE":
                self._dropping(cur, self._resolve(cur, m[2]))
            result = orig(cur, command, *args, **kwargs)
            self._drop_object(self._resolve(cur, m[2]))
            return result
        if m := re.match(rf"(?is)^CREATE\s+OR\s+REPLACE\s+VIEW\s+({QNAME})(\s+COPY\s+GRANTS)?\s", flat):
            key = self._resolve(cur, m[1])
            existed = bool(
                cur._duck_conn.execute(
                    "select 1 from duckdb_views() where database_name = ? and schema_name = ? "
                    "and view_name = ?",
                    list(key),
                ).fetchall()
            )
            kept = [g for g in self.grants if g.on == "VIEW" and g.key == key] if m[2] else []
            result = orig(cur, command, *args, **kwargs)
            self._drop_object(key)
            self._view_created(key, kept, future=not (m[2] and existed))
            return result
        if m := re.match(rf"(?is)^CREATE\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?({QNAME})\s", flat):
            result = orig(cur, command, *args, **kwargs)
            self._view_created(self._resolve(cur, m[1]), [])
            return result
        if m := re.match(rf"(?is)^SHOW\s+(?:TERSE\s+)?TABLES\b.*\bIN\s+SCHEMA\s+({QNAME})$", flat):
            result = orig(cur, command, *args, **kwargs)
            self._fix_show_tables(cur, *self._schema(cur, m[1]))
            return result
        if m := re.match(rf"(?is)^DROP\s+SCHEMA\s+(?:IF\s+EXISTS\s+)?({QNAME})", flat):
            result = orig(cur, command, *args, **kwargs)
            self._drop_schema(*self._schema(cur, m[1]))
            return result
        if m := re.match(rf"(?is)^CREATE\s+OR\s+REPLACE\s+SCHEMA\s+({QNAME})$", flat):
            # replaces the schema with everything in it (DuckDB wants CASCADE for a non-empty one)
            orig(cur, f"DROP SCHEMA IF EXISTS {m[1]} CASCADE")
            self._drop_schema(*self._schema(cur, m[1]))
            return orig(cur, f"CREATE SCHEMA {m[1]}")
        return orig(cur, command, *args, **kwargs)

    def _view_created(self, key: Key, kept: list[Grant], *, future: bool = True) -> None:
        inherited = [
            Grant(g.privilege, "VIEW", key, g.role, option=g.option)
            for g in self.grants
            if future and g.future and g.key == (key[0], key[1], "")
        ]
        self.grants += kept + inherited

    def _drop_schema(self, db: str, s: str) -> None:
        self.managed.discard((db, s))
        self.grants = [g for g in self.grants if not (g.key[0] == db and g.key[1] == s)]
        self.kinds = {k: v for k, v in self.kinds.items() if not (k[0] == db and k[1] == s)}
        self.history = {k: v for k, v in self.history.items() if not (k[0] == db and k[1] == s)}

    def _drop_database(self, cur: Any, db: str) -> None:
        cur._duck_conn.execute(f"DETACH DATABASE IF EXISTS {_q(db)}")
        self.managed = {(d, s) for d, s in self.managed if d != db}
        self.grants = [g for g in self.grants if g.key[0] != db]
        self.kinds = {k: v for k, v in self.kinds.items() if k[0] != db}
        self.history = {k: v for k, v in self.history.items() if k[0] != db}

    def roles_with(self, privilege: str, on: str, key: Key) -> set[str]:
        return {g.role for g in self.grants if g.privilege == privilege and g.on == on and g.key == key}

    @contextmanager
    def install(self) -> Iterator[Shim]:
        orig = fakesnow.cursor.FakeSnowflakeCursor.execute
        shim = self

        def execute(cur: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
            if not isinstance(command, str):
                return orig(cur, command, *args, **kwargs)
            try:
                with shim._lock:
                    return shim.handle(cur, command, orig, args, kwargs)
            except ProgrammingError:
                raise
            except Exception as exc:  # the emulator's own gap: an error reply, not an HTTP 500
                raise ProgrammingError(
                    msg=f"SQL compilation error:\n{exc}", errno=2000, sqlstate="42601"
                ) from exc

        fakesnow.cursor.FakeSnowflakeCursor.execute = execute  # type: ignore[method-assign]
        try:
            yield self
        finally:
            fakesnow.cursor.FakeSnowflakeCursor.execute = orig  # type: ignore[method-assign]


COLS = ("privilege", "granted_on", "name", "granted_to", "grantee_name", "grant_option")
FUTURE_COLS = ("privilege", "grant_on", "name", "grant_to", "grantee_name", "grant_option")


def _rows(cur: Any, orig: Callable[..., Any], cols: tuple[str, ...], rows: list[tuple[str, ...]]) -> Any:
    """A SHOW result with these columns (and no rows when ``rows`` is empty)."""
    if not rows:
        select = ", ".join(f"'' AS \"{c}\"" for c in cols)
        return orig(cur, f"SELECT {select} WHERE 1 = 0")
    values = " UNION ALL ".join(
        "SELECT " + ", ".join(f"'{v}' AS \"{c}\"" for v, c in zip(r, cols, strict=True)) for r in rows
    )
    return orig(cur, values)
