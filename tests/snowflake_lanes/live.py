"""The ``Lane`` on a real Snowflake account (run by ``tests/live/test_snowflake_live.py``).

Settings come from ``PIPELINEOPS_TEST_SNOWFLAKE_*``: ``ACCOUNT``, ``USER``, ``ROLE``, ``WAREHOUSE`` and
``PRIVATE_KEY`` (PEM text; ``PRIVATE_KEY_PASSPHRASE`` when it is encrypted). ``DATABASE`` is an existing
database the module's statement-level tests use; the scenarios do not touch it.

Each lane (one scenario, or one shared group of scenarios) works in a database of its own,
``PIPELINEOPS_T_<run>_<name>``: ``<run>`` is unique per test process, so two runs of the lane on one account
never meet. ``open_lane`` creates the database and the lane's reader roles (``<database>_REPORTER``, and any
other role a scenario asks for) with the test role, and drops them in ``finally``, whatever the scenario did.
The test role therefore needs CREATE DATABASE and CREATE ROLE on the account and USAGE on the warehouse.

dbt-snowflake connects with key-pair auth (``authenticator: snowflake_jwt``, the key from
``SNOWFLAKE_PRIVATE_KEY``), as the reference project's profiles do; pipelineops reads the same variable.
``host``/``port``/``protocol`` exist only so that ``tests/e2e_snowflake/test_live_lane.py`` can point this lane
at the emulator and run its code without an account.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.snowflake_lanes.lane import CONFIG, PROFILES, SqlLane, identifier, indent, make_workspace

PREFIX = "PIPELINEOPS_TEST_SNOWFLAKE_"
REQUIRED = ("ACCOUNT", "USER", "ROLE", "WAREHOUSE", "DATABASE", "PRIVATE_KEY")
PASSPHRASE = PREFIX + "PRIVATE_KEY_PASSPHRASE"


def missing(environ: Mapping[str, str]) -> list[str]:
    """The required variables that are not set (an empty list: the live lane can run)."""
    return [PREFIX + name for name in REQUIRED if not environ.get(PREFIX + name)]


def run_tag(environ: Mapping[str, str]) -> str:
    """What makes this process's identifiers unique on the account: the CI run (when there is one) and
    random bits."""
    run = re.sub(r"[^A-Za-z0-9]+", "_", environ.get("GITHUB_RUN_ID", ""))
    return "_".join(p for p in (run, secrets.token_hex(4).upper()) if p)


@dataclass(frozen=True)
class LiveSettings:
    account: str
    user: str
    role: str
    warehouse: str
    private_key: str  # PEM text
    passphrase: str = ""
    # only to point the lane at the emulator (its offline check); empty on an account
    host: str = ""
    port: int = 0
    protocol: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LiveSettings:
        absent = missing(environ)
        if absent:
            raise KeyError(f"the live lane needs {', '.join(absent)}")
        return cls(
            account=environ[PREFIX + "ACCOUNT"],
            user=environ[PREFIX + "USER"],
            role=environ[PREFIX + "ROLE"],
            warehouse=environ[PREFIX + "WAREHOUSE"],
            private_key=environ[PREFIX + "PRIVATE_KEY"],
            passphrase=environ.get(PASSPHRASE, ""),
        )

    def endpoint(self) -> list[str]:
        """``host``/``port``/``protocol`` lines, when the settings point elsewhere than the account's host."""
        lines = [f"host: {self.host}"] if self.host else []
        lines += [f"port: {self.port}"] if self.port else []
        return lines + ([f"protocol: {self.protocol}"] if self.protocol else [])

    def config_block(self) -> list[str]:
        """The ``snowflake:`` block of the lane's pipelineops.yml (no secret: pipelineops reads the key from
        ``SNOWFLAKE_PRIVATE_KEY``)."""
        return [
            f"account: {self.account}",
            f"user: {self.user}",
            f"role: {self.role}",
            f"warehouse: {self.warehouse}",
            *self.endpoint(),
        ]

    def profile_block(self) -> list[str]:
        """dbt-snowflake's connection with key-pair auth; the key and passphrase stay in the environment."""
        return [
            "account: \"{{ env_var('SNOWFLAKE_ACCOUNT') }}\"",
            "authenticator: snowflake_jwt",
            "private_key: \"{{ env_var('SNOWFLAKE_PRIVATE_KEY') }}\"",
            "private_key_passphrase: \"{{ env_var('SNOWFLAKE_PRIVATE_KEY_PASSPHRASE', '') }}\"",
            *self.endpoint(),
        ]

    def environ(self) -> dict[str, str]:
        environ = {"SNOWFLAKE_PRIVATE_KEY": self.private_key}
        if self.passphrase:
            environ["SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"] = self.passphrase
        return environ

    def connect_kwargs(self, database: str | None) -> dict[str, Any]:
        """``snowflake.connector.connect`` arguments (they hold the key: never print them)."""
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_private_key(
            self.private_key.encode(), password=self.passphrase.encode() if self.passphrase else None
        )
        kwargs: dict[str, Any] = {
            "account": self.account,
            "user": self.user,
            "role": self.role,
            "warehouse": self.warehouse,
            "private_key": key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            "session_parameters": {"QUERY_TAG": '{"stage":"live-lane"}'},
            "login_timeout": 60,
            "network_timeout": 300,
        }
        if database:
            kwargs["database"] = database
        for name in ("host", "port", "protocol"):
            if getattr(self, name):
                kwargs[name] = getattr(self, name)
        return kwargs


def create_role(role: str) -> str:
    return f'CREATE ROLE IF NOT EXISTS "{role}"'


def admin_statements(database: str, roles: list[str]) -> tuple[list[str], list[str]]:
    """What the test role runs around a lane: (before, after). The after statements run in ``finally``."""
    before = [f'CREATE DATABASE "{database}"', *(create_role(r) for r in roles)]
    after = [*(f'DROP ROLE IF EXISTS "{r}"' for r in roles), f'DROP DATABASE IF EXISTS "{database}"']
    return before, after


@dataclass
class LiveLane(SqlLane):
    """The ``Lane`` on an account: the lane's look-ups share one session per thread; ``moment`` reads the
    account's clock and waits a second on either side (time travel resolves to the millisecond, and the
    runner's clock is not the account's)."""

    settings: LiveSettings | None = None
    roles: list[str] = field(default_factory=list)
    pause: float = 1.0
    _sessions: threading.local = field(default_factory=threading.local)
    _open: list[Any] = field(default_factory=list)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def _settings(self) -> LiveSettings:
        assert self.settings is not None
        return self.settings

    def connect(self) -> Any:
        session = getattr(self._sessions, "conn", None)
        if session is None:
            session = self.session(self.database)
            self._sessions.conn = session
            with self._guard:
                self._open.append(session)
        return session

    def release(self, conn: Any) -> None:
        """The thread's session stays open for the next look-up (``close`` ends them all)."""

    def session(self, database: str | None) -> Any:
        import snowflake.connector

        return snowflake.connector.connect(**self._settings().connect_kwargs(database))

    def environ(self) -> dict[str, str]:
        return self._settings().environ()

    def clock(self) -> datetime:
        (now,) = self.query("SELECT CURRENT_TIMESTAMP()")[0]
        assert isinstance(now, datetime)
        return now

    def role(self, name: str) -> str:
        """``<database>_<name>``, created on first use and dropped with the lane."""
        role = identifier(self.database, name)
        if role not in self.roles:
            self.query(create_role(role))
            self.roles.append(role)
        return role

    def close(self) -> None:
        for conn in self._open:
            conn.close()
        self._open.clear()
        self._sessions = threading.local()


def workspace_files(settings: LiveSettings, database: str, reporter: str) -> tuple[str, str]:
    """(pipelineops.yml, profiles.yml) of a live lane's workspace."""
    config = CONFIG.format(database=database, reporter=reporter, snowflake=indent(settings.config_block()))
    profiles = PROFILES.format(connection=indent(settings.profile_block()), threads=4)
    return config, profiles


@contextmanager
def open_lane(settings: LiveSettings, base: Path, name: str, tag: str) -> Iterator[LiveLane]:
    """A live lane in a new database ``PIPELINEOPS_T_<tag>_<name>``; the database and the lane's roles are
    dropped on the way out, also when the scenario failed."""
    database = identifier("PIPELINEOPS_T", tag, name)
    lane = LiveLane(base / "ws", database, settings=settings)
    admin = lane.session(None)
    try:
        before, _ = admin_statements(database, [])
        for statement in before:
            admin.cursor().execute(statement)
        config, profiles = workspace_files(settings, database, lane.role("REPORTER"))
        make_workspace(lane.root, config=config, profiles=profiles)
        yield lane
    finally:
        lane.close()
        _, after = admin_statements(database, lane.roles)
        errors = []
        for statement in after:
            try:
                admin.cursor().execute(statement)
            except Exception as exc:  # every clean-up statement gets its turn
                errors.append(f"{statement}: {exc}")
        admin.close()
        assert not errors, "the live lane could not clean up:\n" + "\n".join(errors)
