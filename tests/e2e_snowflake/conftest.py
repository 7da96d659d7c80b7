"""The emulator lane of the Snowflake scenarios (``tests/snowflake_lanes/scenarios.py``): every stage through
``pipelineops.cli.main`` with the real SnowflakeEngine and connector, against fakesnow's HTTP server (in this
process) plus the semantics shim (shim.py), and dbt-snowflake (a subprocess, as in production) building the
small project in ``project/`` on the same server.

Each test module runs one group of the registry (its ``GROUP``) through ``group_lane``: a shared group's
scenarios run in order on one workspace (``shared_lane``, after the group's setup), the others each on a
fresh workspace and database named after the scenario. ``EmulatorLane`` is the ``Lane`` protocol here; the
emulator-only scenarios also reach its ``shim`` (faults, the query history, the grant list). The server,
the shim and the statement recorder live for one test module (they patch fakesnow and the connector in this
process; other modules stay untouched). Every statement pipelineops sends (recorded at the connector, in
this process; dbt's run in its subprocess) must pass the strict static check.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
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
from tests.snowflake_lanes.lane import CONFIG, PROFILES, SqlLane, identifier, indent, make_workspace
from tests.snowflake_lanes.scenarios import Group, Scenario
from tests.sqlcheck.snowflake_check import check_snowflake_sql


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
class EmulatorLane(SqlLane):
    """The ``Lane`` on the emulator: pipelineops in this process (its statements recorded at the connector),
    the lane's own look-ups in sessions of their own, and the shim's state for the emulator-only scenarios."""

    server: dict[str, Any] = field(default_factory=dict)
    shim: Shim = field(default_factory=Shim)
    pem: str = ""
    sent: Sent = field(default_factory=Sent)
    checked: int = 0

    def connect(self) -> Any:
        return snowflake.connector.connect(**self.server, database=self.database)

    def environ(self) -> dict[str, str]:
        return {"SNOWFLAKE_PRIVATE_KEY": self.pem}

    def quiet(self) -> AbstractContextManager[None]:
        return self.sent.paused()

    def check_sent(self) -> None:
        """Every statement pipelineops sent since the last check passes the strict static check."""
        new, self.checked = self.sent[self.checked :], len(self.sent)
        for statement in new:
            if statement.strip().upper() in ("BEGIN TRANSACTION", "COMMIT", "ROLLBACK"):
                continue
            if statement.upper().startswith("ALTER SESSION SET AUTOCOMMIT"):
                continue  # the connector's own, from autocommit=False
            check_snowflake_sql(statement)


LaneFactory = Callable[[Path, str], EmulatorLane]


@pytest.fixture(scope="module")
def make_lane(server: dict[str, Any], shim: Shim, pem: str, sent: Sent) -> LaneFactory:
    def _make(base: Path, name: str) -> EmulatorLane:
        database = identifier("LANE", name)[:60]
        root = base / "ws"
        snowflake_block = [
            "account: fakesnow",
            "user: CI_DEPLOYER",
            "role: DEPLOYER",
            "warehouse: CI_WH",
            "host: 127.0.0.1",
            f"port: {server['port']}",
            "protocol: http",
        ]
        connection = ["account: fakesnow", "password: snow", "host: 127.0.0.1", f"port: {server['port']}"]
        make_workspace(
            root,
            config=CONFIG.format(database=database, reporter="REPORTER", snowflake=indent(snowflake_block)),
            profiles=PROFILES.format(connection=indent([*connection, "protocol: http"]), threads=1),
        )
        return EmulatorLane(root, database, server=server, shim=shim, pem=pem, sent=sent, checked=len(sent))

    return _make


@pytest.fixture(scope="module")
def shared_lane(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, make_lane: LaneFactory
) -> Iterator[EmulatorLane]:
    """The workspace of a shared group (the module's ``GROUP``), after the group's setup."""
    group: Group = request.module.GROUP
    assert group.setup is not None
    made = make_lane(tmp_path_factory.mktemp(group.name), group.name)
    group.setup(made)
    yield made
    made.check_sent()


@pytest.fixture
def group_lane(
    request: pytest.FixtureRequest, tmp_path: Path, make_lane: LaneFactory
) -> Iterator[EmulatorLane]:
    """The lane a scenario of the module's ``GROUP`` runs on: the group's shared workspace, or a fresh one
    named after the scenario."""
    group: Group = request.module.GROUP
    if group.shared:
        yield request.getfixturevalue("shared_lane")
        return
    scenario: Scenario = request.node.callspec.params["scenario"]
    made = make_lane(tmp_path, scenario.name)
    yield made
    made.check_sent()
