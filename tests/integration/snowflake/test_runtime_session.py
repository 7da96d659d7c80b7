"""Finding C1: a Snowflake session survives the dbt calls of a stage (real connector, fakesnow).

The runtime used to close the engine before every dbt call (the local engine's single-process rule), and the
Snowflake engine never reconnects: every statement after dbt, the lock release included, failed with 250002
"Connection is closed". Engines now say what dbt needs (``release_for_dbt``)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.workspace import REPO

from pipelineops.config import load_config
from pipelineops.engines.duckdb import LocalEngine
from pipelineops.engines.snowflake import SnowflakeEngine
from pipelineops.execute.context import Context
from pipelineops.execute.runtime import Runtime
from pipelineops.journal import Journal
from pipelineops.report.reporter import TerminalReporter


def test_the_snowflake_session_stays_open_across_a_dbt_call(engine: SnowflakeEngine, tmp_path: Path) -> None:
    config = load_config(REPO / "pipelineops.yml")
    ctx = Context(
        config=config,
        env_name="prod",
        dry_run=False,
        reporter=TerminalReporter(io.StringIO(), color=False),
        environ={},
    )
    journal = Journal(engine, "PIPELINEOPS", "prod", lambda: datetime(2026, 12, 6, tzinfo=UTC))
    journal.migrate()
    journal.acquire("d1", holder="ci", run_url="")
    rt = Runtime(ctx, engine, journal)
    result = rt.run_dbt("c1", ("parse", "--help"))  # a real dbt process; prints its help, touches nothing
    assert result.ok, result.output_tail
    journal.release("d1")  # on the same session, after dbt
    assert journal.holder() is None


def test_the_local_engine_lets_go_of_its_catalog_for_dbt_and_reopens(tmp_path: Path) -> None:
    engine = LocalEngine(tmp_path / "warehouse")
    try:
        assert engine.query("SELECT 1 AS n") == [{"n": 1}]
        engine.release_for_dbt()
        assert engine._con is None  # dbt may attach the catalog now
        assert engine.query("SELECT 2 AS n") == [{"n": 2}]
    finally:
        engine.close()
