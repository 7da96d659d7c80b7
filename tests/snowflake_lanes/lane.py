"""The ``Lane`` protocol the Snowflake scenarios are written against, and what both lanes share.

A lane is one workspace (the small dbt project of ``tests/e2e_snowflake/project`` with a ``pipelineops.yml``
in a git repository) bound to one Snowflake database. The scenarios run ``pipelineops`` through ``cli``/``ok``
(in this process) or ``killed`` (a child process that SIGKILLs itself at a journal boundary), and read the
warehouse back with their own statements: ``query`` for rows, and the ``SHOW`` statements behind
``table_kind``, ``tables``, ``roles_with``, ``future_grants`` and ``managed_access``, which a real account and
the emulator's shim answer with the same columns (https://docs.snowflake.com/en/sql-reference/sql/show-tables,
https://docs.snowflake.com/en/sql-reference/sql/show-grants,
https://docs.snowflake.com/en/sql-reference/sql/show-schemas). Result rows are read by column name, so the
shape of a real account's answer and of the shim's narrower one parse the same way (``show_rows``).

``SqlLane`` implements the protocol over two hooks, ``connect`` (a connector session on the lane's database)
and ``environ`` (the variables a ``pipelineops`` process gets, secrets included); ``EmulatorLane``
(``tests/e2e_snowflake/conftest.py``) and ``LiveLane`` (``live.py``) add the rest.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pipelineops.execute.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "tests" / "e2e_snowflake" / "project"
COLOURS = ("BLUE", "GREEN")

#: ``pipelineops.yml`` of a lane's workspace; ``{snowflake}`` is the connection block (indented six spaces)
CONFIG = """\
version: 1
dbt:
  project_dir: dbt
  profiles_dir: profiles
layout:
  consumer_schemas: [STAGING, MARTS]
  journal_schema: PIPELINEOPS
  reader_roles: [{reporter}]
environments:
  dev:
    engine: snowflake
    dbt_target: ci
    database: {database}
    snowflake: &sf
{snowflake}
  prod:
    engine: snowflake
    dbt_target: prod
    database: {database}
    snowflake: *sf
checks:
  dbt_tests: true
  row_count_delta: {{warn_pct: 50, fail_pct: 90}}
  non_empty: true
  contract: false
  freshness: false
"""

#: ``profiles.yml`` of a lane's workspace; ``{connection}`` is the lane's own part (indented six spaces)
PROFILES = """\
lane:
  target: prod
  outputs:
    prod: &sf
      type: snowflake
{connection}
      user: "{{{{ env_var('SNOWFLAKE_USER') }}}}"
      role: "{{{{ env_var('SNOWFLAKE_ROLE') }}}}"
      warehouse: "{{{{ env_var('SNOWFLAKE_WAREHOUSE') }}}}"
      database: "{{{{ env_var('SNOWFLAKE_DATABASE') }}}}"
      schema: ANALYTICS
      threads: {threads}
      query_tag: "{{{{ env_var('PIPELINEOPS_QUERY_TAG', 'lane') }}}}"
      connect_retries: 0
      reuse_connections: true
    ci:
      <<: *sf
      schema: CI
"""


def indent(lines: Sequence[str]) -> str:
    return "\n".join("      " + line for line in lines)


def identifier(*parts: str, limit: int = 255) -> str:
    """An unquoted Snowflake identifier (upper case; letters, digits and ``_``) made of ``parts``."""
    name = "_".join(re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_") for p in parts if p).upper()
    if not name or not name[0].isalpha():
        name = "L_" + name
    return name[:limit]


def make_workspace(root: Path, *, config: str, profiles: str) -> None:
    """The lane's workspace: the project, the reference project's schema macros, the two YAML files, git."""
    shutil.copytree(PROJECT, root / "dbt")
    macros = root / "dbt" / "macros"
    macros.mkdir()
    for macro in ("generate_schema_name.sql", "generate_database_name.sql"):
        shutil.copy(REPO / "dbt" / "macros" / macro, macros / macro)
    (root / "profiles").mkdir()
    (root / "profiles" / "profiles.yml").write_text(profiles, encoding="utf-8")
    (root / "pipelineops.yml").write_text(config, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")


def git(root: Path, *args: str) -> None:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args]
    subprocess.run(command, cwd=root, check=True, capture_output=True)


# -- SHOW results, read by column name ------------------------------------------------------------------
def show_rows(description: Sequence[Sequence[Any]], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """A SHOW result as dicts keyed by lower-case column name (a real account returns more columns, and
    in another order, than the emulator's shim: only the names matter)."""
    names = [str(d[0]).lower() for d in description]
    return [dict(zip(names, row, strict=True)) for row in rows]


def table_kinds(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """``SHOW TABLES``: name → ``kind`` (``TABLE`` for a permanent table, ``TRANSIENT``, ``TEMPORARY``)."""
    return {str(r["name"]): str(r["kind"]).upper() for r in rows}


def grantee_roles(rows: Sequence[Mapping[str, Any]], privilege: str) -> set[str]:
    """``SHOW GRANTS ON <object>``: the roles holding ``privilege`` (grants to shares or database roles are
    not roles of the account)."""
    return {
        str(r["grantee_name"])
        for r in rows
        if str(r["privilege"]).upper() == privilege.upper() and str(r["granted_to"]).upper() == "ROLE"
    }


def future_grants(rows: Sequence[Mapping[str, Any]]) -> set[tuple[str, str, str]]:
    """``SHOW FUTURE GRANTS IN SCHEMA``: (privilege, object kind, role); the columns are ``grant_on`` and
    ``grant_to`` here, not ``granted_on``/``granted_to``."""
    return {
        (str(r["privilege"]).upper(), str(r["grant_on"]).upper(), str(r["grantee_name"]))
        for r in rows
        if str(r["grant_to"]).upper() == "ROLE"
    }


def managed(rows: Sequence[Mapping[str, Any]], schema: str) -> bool:
    """``SHOW SCHEMAS LIKE``: whether ``schema`` is a managed access schema (``options`` lists it, e.g.
    ``TRANSIENT, MANAGED ACCESS``)."""
    options = [str(r.get("options") or "") for r in rows if str(r["name"]) == schema]
    return any("MANAGED ACCESS" in o.upper() for o in options)


class Lane(Protocol):
    """What a scenario can do with a workspace bound to one Snowflake database."""

    root: Path  # the workspace (pipelineops.yml, dbt/, profiles/), a git repository
    database: str

    def cli(self, *args: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
        """``pipelineops <args>`` in this process: exit code, stdout, stderr."""

    def ok(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """``pipelineops <args>``, which must exit 0: its output."""

    def killed(self, *args: str, boundary: str) -> int:
        """``pipelineops <args>`` in a child process killed (SIGKILL) right after the journal row
        ``boundary``: its exit code."""

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """The scenario's own statement (not one of pipelineops'), in a session of its own: the rows."""

    def git(self, *args: str) -> None: ...

    def schemas(self) -> set[str]: ...

    def view_colours(self, schema: str) -> set[str]:
        """The colours the views of the consumer schema ``schema`` read from."""

    def journal(self, step: str, status: str = "succeeded") -> list[tuple[Any, ...]]:
        """(deploy_id, colour_to) of the DEPLOY_STATE rows of ``step`` with ``status``, oldest first."""

    def lock_holder(self) -> Any:
        """The deploy id holding DEPLOY_LOCK (None when free); there is exactly one lock row."""

    def table_kind(self, schema: str, table: str) -> str:
        """``TABLE`` (permanent), ``TRANSIENT`` or ``TEMPORARY``, from ``SHOW TABLES``."""

    def tables(self, schema: str) -> set[str]: ...

    def roles_with(self, privilege: str, on: str, schema: str, name: str = "") -> set[str]:
        """The roles granted ``privilege`` on the schema (``on="SCHEMA"``) or on its view/table ``name``."""

    def future_grants(self, schema: str) -> set[tuple[str, str, str]]: ...

    def managed_access(self, schema: str) -> bool: ...

    def role(self, name: str) -> str:
        """The account role a scenario calls ``name`` (``REPORTER`` is the configured reader role)."""

    def moment(self) -> datetime:
        """A point in time strictly after what the lane did so far and before what it does next, on the
        warehouse's clock."""

    def environ(self) -> dict[str, str]:
        """The variables a pipelineops process of this lane needs (the secret included)."""

    def runtime(self, stage: str) -> Runtime:
        """A pipelineops runtime (engine and journal) on the lane's production environment."""


@dataclass
class SqlLane:
    """The protocol over a connector session (``connect``) and the process environment (``environ``)."""

    root: Path
    database: str
    outputs: list[str] = field(default_factory=list)
    #: how long ``moment`` waits on either side of the instant it returns
    pause: float = 0.05

    # -- hooks -------------------------------------------------------------------------------------
    def connect(self) -> Any:  # pragma: no cover - each lane defines it
        raise NotImplementedError

    def environ(self) -> dict[str, str]:  # pragma: no cover - each lane defines it
        raise NotImplementedError

    def quiet(self) -> AbstractContextManager[None]:
        """Around the lane's own statements (the emulator lane does not record them)."""
        return nullcontext()

    def clock(self) -> datetime:
        return datetime.now(UTC)

    def release(self, conn: Any) -> None:
        """After a look-up: the emulator lane closes its session, the live lane keeps it for the next one."""
        conn.close()

    # -- pipelineops -------------------------------------------------------------------------------
    def cli(self, *args: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
        from pipelineops.cli import main

        out, err = io.StringIO(), io.StringIO()
        environ = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.root),
            "USER": "tester",
            **self.environ(),
            **(env or {}),
        }
        code = main(
            [*args, "--config", str(self.root / "pipelineops.yml")], environ=environ, stdout=out, stderr=err
        )
        self.outputs.append(out.getvalue() + err.getvalue())
        return code, out.getvalue(), err.getvalue()

    def ok(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        code, out, err = self.cli(*args, env=env)
        assert code == 0, out + err
        return out + err

    def killed(self, *args: str, boundary: str) -> int:
        env = {**os.environ, **self.environ(), "PIPELINEOPS_CHAOS_KILL_AFTER": boundary, "USER": "chaos"}
        proc = subprocess.run(
            [sys.executable, "-m", "pipelineops.cli", *args, "--config", str(self.root / "pipelineops.yml")],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            start_new_session=True,
            check=False,
        )
        return proc.returncode

    def runtime(self, stage: str) -> Runtime:
        from pipelineops.config import load_config
        from pipelineops.execute.runtime import Runtime
        from pipelineops.report.reporter import make_reporter

        return Runtime.open(
            config=load_config(self.root / "pipelineops.yml"),
            env_name="prod",
            dry_run=False,
            reporter=make_reporter({}, io.StringIO()),
            environ={"PATH": "/usr/bin:/bin", "HOME": str(self.root), **self.environ()},
            stage=stage,
        )

    def git(self, *args: str) -> None:
        git(self.root, *args)

    # -- the lane's own look-ups -------------------------------------------------------------------
    def _run(self, sql: str) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
        with self.quiet():
            conn = self.connect()
            try:
                cur = conn.cursor()
                cur.execute(sql)
                rows = [tuple(r) for r in cur.fetchall()] if cur.description else []
                return show_rows(cur.description or [], rows), rows
            finally:
                self.release(conn)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self._run(sql)[1]

    def show(self, sql: str) -> list[dict[str, Any]]:
        return self._run(sql)[0]

    def schemas(self) -> set[str]:
        return {str(r["name"]) for r in self.show(f"SHOW TERSE SCHEMAS IN DATABASE {self.database}")}

    def view_colours(self, schema: str) -> set[str]:
        rows = self.query(
            f"SELECT view_definition FROM {self.database}.information_schema.views WHERE table_schema = '{schema}'"
        )
        return {c for (text,) in rows for c in COLOURS if f"__{c}" in str(text).upper()}

    def journal(self, step: str, status: str = "succeeded") -> list[tuple[Any, ...]]:
        return self.query(
            f"SELECT deploy_id, colour_to FROM {self.database}.PIPELINEOPS.DEPLOY_STATE "
            f"WHERE step = '{step}' AND status = '{status}' ORDER BY finished_at, deploy_id"
        )

    def lock_holder(self) -> Any:
        rows = self.query(f"SELECT deploy_id FROM {self.database}.PIPELINEOPS.DEPLOY_LOCK")
        assert len(rows) == 1, rows
        return rows[0][0]

    def table_kind(self, schema: str, table: str) -> str:
        kinds = table_kinds(self.show(f"SHOW TABLES LIKE '{table}' IN SCHEMA {self.database}.{schema}"))
        assert table in kinds, (schema, table, kinds)
        return kinds[table]

    def tables(self, schema: str) -> set[str]:
        return set(table_kinds(self.show(f"SHOW TABLES IN SCHEMA {self.database}.{schema}")))

    def roles_with(self, privilege: str, on: str, schema: str, name: str = "") -> set[str]:
        target = (
            f"SCHEMA {self.database}.{schema}" if on == "SCHEMA" else f"{on} {self.database}.{schema}.{name}"
        )
        return grantee_roles(self.show(f"SHOW GRANTS ON {target}"), privilege)

    def future_grants(self, schema: str) -> set[tuple[str, str, str]]:
        return future_grants(self.show(f"SHOW FUTURE GRANTS IN SCHEMA {self.database}.{schema}"))

    def managed_access(self, schema: str) -> bool:
        return managed(self.show(f"SHOW SCHEMAS LIKE '{schema}' IN DATABASE {self.database}"), schema)

    def role(self, name: str) -> str:
        return name

    def moment(self) -> datetime:
        time.sleep(self.pause)
        instant = self.clock()
        time.sleep(self.pause)
        return instant
