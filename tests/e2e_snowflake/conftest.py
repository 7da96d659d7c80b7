"""The Snowflake end-to-end lane: every stage through ``pipelineops.cli.main`` with the real SnowflakeEngine
and connector, against fakesnow's HTTP server (in this process) plus the semantics shim (shim.py), and
dbt-snowflake (a subprocess, as in production) building the small project in ``project/`` on the same server.

Each test gets its own database on the emulator. The server, the shim and the statement recorder live for
one test module (they patch fakesnow and the connector in this process; other modules stay untouched). Every statement pipelineops sends (recorded at the
connector, in this process; dbt's run in its subprocess) must pass the strict static check.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fakesnow.server as fakesnow_server
import pytest
import snowflake.connector.cursor
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.e2e_snowflake.shim import Shim
from tests.sqlcheck.snowflake_check import check_snowflake_sql

from pipelineops.cli import main

REPO = Path(__file__).resolve().parents[2]
PROJECT = Path(__file__).with_name("project")

CONFIG = """\
version: 1
dbt:
  project_dir: dbt
  profiles_dir: profiles
layout:
  consumer_schemas: [STAGING, MARTS]
  journal_schema: PIPELINEOPS
  reader_roles: [REPORTER]
environments:
  dev:
    engine: snowflake
    dbt_target: ci
    database: {database}
    snowflake: &sf
      account: fakesnow
      user: CI_DEPLOYER
      role: DEPLOYER
      warehouse: CI_WH
      host: 127.0.0.1
      port: {port}
      protocol: http
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

PROFILES = """\
lane:
  target: prod
  outputs:
    prod: &sf
      type: snowflake
      account: fakesnow
      user: "{{{{ env_var('SNOWFLAKE_USER') }}}}"
      password: snow
      role: "{{{{ env_var('SNOWFLAKE_ROLE') }}}}"
      warehouse: "{{{{ env_var('SNOWFLAKE_WAREHOUSE') }}}}"
      database: "{{{{ env_var('SNOWFLAKE_DATABASE') }}}}"
      schema: ANALYTICS
      host: 127.0.0.1
      port: {port}
      protocol: http
      threads: 1
      query_tag: "{{{{ env_var('PIPELINEOPS_QUERY_TAG', 'lane') }}}}"
      connect_retries: 0
      reuse_connections: true
    ci:
      <<: *sf
      schema: CI
"""


@pytest.fixture(scope="session")
def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def shim() -> Iterator[Shim]:
    with Shim().install() as installed:
        yield installed


@pytest.fixture(scope="module")
def server(shim: Shim) -> Iterator[dict[str, Any]]:
    """fakesnow's HTTP app under uvicorn in a thread of this process, on a free local port.

    (Not ``fakesnow.server()``: it imports its ``fakesnow.server`` module inside, which then hides the
    function of the same name for the next module.)"""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    runner = uvicorn.Server(
        uvicorn.Config(fakesnow_server.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=runner.run, name="fakesnow server", daemon=True)
    thread.start()
    while thread.is_alive() and not runner.started:
        time.sleep(0.05)
    assert runner.started, "the fakesnow server did not start"
    try:
        yield {
            "user": "fake",
            "password": "snow",
            "account": "fakesnow",
            "host": "127.0.0.1",
            "port": port,
            "protocol": "http",
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
            "network_timeout": 30,
        }
    finally:
        runner.should_exit = True
        thread.join()


class Sent(list[str]):
    """Every statement pipelineops sends through the connector in this process (dbt's run elsewhere);
    the tests' own look-ups run under ``paused()`` and are not recorded."""

    def __init__(self) -> None:
        super().__init__()
        self._paused = threading.local()

    @contextmanager
    def paused(self) -> Iterator[None]:
        self._paused.on = True
        try:
            yield
        finally:
            self._paused.on = False

    def record(self, statement: str) -> None:
        if not getattr(self._paused, "on", False):
            self.append(statement)


@pytest.fixture(scope="module")
def sent() -> Iterator[Sent]:
    recorder = Sent()
    original = snowflake.connector.cursor.SnowflakeCursor.execute

    def execute(self: Any, command: str, *args: Any, **kwargs: Any) -> Any:
        recorder.record(command)
        return original(self, command, *args, **kwargs)

    snowflake.connector.cursor.SnowflakeCursor.execute = execute  # type: ignore[method-assign]
    try:
        yield recorder
    finally:
        snowflake.connector.cursor.SnowflakeCursor.execute = original  # type: ignore[method-assign]


@dataclass
class Lane:
    root: Path
    database: str
    server: dict[str, Any]
    shim: Shim
    pem: str
    sent: Sent
    outputs: list[str] = field(default_factory=list)
    checked: int = 0

    def cli(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        environ = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.root),
            "USER": "tester",
            "SNOWFLAKE_PRIVATE_KEY": self.pem,
            **(env or {}),
        }
        code = main(
            [*args, "--config", str(self.root / "pipelineops.yml")], environ=environ, stdout=out, stderr=err
        )
        self.outputs.append(out.getvalue() + err.getvalue())
        return code, out.getvalue(), err.getvalue()

    def ok(self, *args: str, env: dict[str, str] | None = None) -> str:
        code, out, err = self.cli(*args, env=env)
        assert code == 0, out + err
        return out + err

    def connect(self) -> Any:
        return snowflake.connector.connect(**self.server, database=self.database)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """The test's own look-up (not one of pipelineops' statements)."""
        with self.sent.paused():
            conn = self.connect()
            try:
                cur = conn.cursor()
                cur.execute(sql)
                return list(cur.fetchall())
            finally:
                conn.close()

    def killed(self, *args: str, boundary: str) -> int:
        """``pipelineops <args>`` in a child process that SIGKILLs itself right after the journal row
        ``boundary``; it reaches the emulator in this process over HTTP. Returns its exit code."""
        env = {**os.environ, "PIPELINEOPS_CHAOS_KILL_AFTER": boundary, "USER": "chaos"}
        env["SNOWFLAKE_PRIVATE_KEY"] = self.pem
        proc = subprocess.run(
            [sys.executable, "-m", "pipelineops.cli", *args, "--config", str(self.root / "pipelineops.yml")],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            start_new_session=True,
        )
        return proc.returncode

    def git(self, *args: str) -> None:
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
        subprocess.run([*git, *args], cwd=self.root, check=True, capture_output=True)

    def schemas(self) -> set[str]:
        return {str(r[1]) for r in self.query(f"SHOW TERSE SCHEMAS IN DATABASE {self.database}")}

    def view_colours(self, schema: str) -> set[str]:
        """The colours the consumer views of ``schema`` read from."""
        rows = self.query(
            f"SELECT view_definition FROM {self.database}.information_schema.views WHERE table_schema = '{schema}'"
        )
        return {c for (text,) in rows for c in ("BLUE", "GREEN") if f"__{c}" in str(text).upper()}

    def journal(self, step: str, status: str = "succeeded") -> list[tuple[Any, ...]]:
        return self.query(
            f"SELECT deploy_id, colour_to FROM {self.database}.PIPELINEOPS.DEPLOY_STATE "
            f"WHERE step = '{step}' AND status = '{status}' ORDER BY finished_at, deploy_id"
        )

    def lock_holder(self) -> Any:
        rows = self.query(f"SELECT deploy_id FROM {self.database}.PIPELINEOPS.DEPLOY_LOCK")
        assert len(rows) == 1, rows
        return rows[0][0]

    def check_sent(self) -> None:
        """Every statement pipelineops sent since the last check passes the strict static check."""
        new, self.checked = self.sent[self.checked :], len(self.sent)
        for statement in new:
            if statement.strip().upper() in ("BEGIN TRANSACTION", "COMMIT", "ROLLBACK"):
                continue
            if statement.upper().startswith("ALTER SESSION SET AUTOCOMMIT"):
                continue  # the connector's own, from autocommit=False
            check_snowflake_sql(statement)


LaneFactory = Callable[[Path, str], Lane]


@pytest.fixture(scope="module")
def make_lane(server: dict[str, Any], shim: Shim, pem: str, sent: Sent) -> LaneFactory:
    def _make(base: Path, name: str) -> Lane:
        database = "LANE_" + "".join(c if c.isalnum() else "_" for c in name).upper()[:60]
        root = base / "ws"
        shutil.copytree(PROJECT, root / "dbt")
        macros = root / "dbt" / "macros"
        macros.mkdir()
        for macro in ("generate_schema_name.sql", "generate_database_name.sql"):
            shutil.copy(REPO / "dbt" / "macros" / macro, macros / macro)
        (root / "profiles").mkdir()
        (root / "profiles" / "profiles.yml").write_text(
            PROFILES.format(port=server["port"]), encoding="utf-8"
        )
        (root / "pipelineops.yml").write_text(
            CONFIG.format(database=database, port=server["port"]), encoding="utf-8"
        )
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
        subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
        subprocess.run([*git, "add", "-A"], cwd=root, check=True)
        subprocess.run([*git, "commit", "-qm", "init"], cwd=root, check=True)
        return Lane(root, database, server, shim, pem, sent, checked=len(sent))

    return _make


@pytest.fixture
def lane(tmp_path: Path, make_lane: LaneFactory, request: pytest.FixtureRequest) -> Iterator[Lane]:
    """A fresh workspace and database; at the end, every statement pipelineops sent is checked."""
    made = make_lane(tmp_path, request.node.name)
    yield made
    made.check_sent()
