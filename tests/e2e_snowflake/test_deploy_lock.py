"""The deploy lock on the Snowflake engine: two real sessions (two connector connections to the emulator)
compete for DEPLOY_LOCK; ownership is the compare-and-set's row count (finding M1)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from pipelineops.config.model import SnowflakeConnection
from pipelineops.engines.snowflake import SnowflakeEngine
from pipelineops.errors import PipelineOpsError, WarehouseBusy
from pipelineops.journal import Journal

pytestmark = [pytest.mark.snowflake_e2e]
DATABASE = "LANE_DEPLOY_LOCK"


def _journal(server: dict[str, Any], pem: str) -> Journal:
    conn = SnowflakeConnection(
        account="fakesnow",
        user="CI_DEPLOYER",
        role="DEPLOYER",
        warehouse="CI_WH",
        host=server["host"],
        port=server["port"],
        protocol="http",
    )
    engine = SnowflakeEngine.connect(
        conn, database=DATABASE, environ={"SNOWFLAKE_PRIVATE_KEY": pem}, query_tag={"stage": "lock-test"}
    )
    return Journal(engine, "PIPELINEOPS", "prod", lambda: datetime(2026, 12, 6, tzinfo=UTC))


def _holders(journal: Journal) -> list[object]:
    rows = journal.engine.query(f'SELECT deploy_id FROM "{DATABASE}"."PIPELINEOPS"."DEPLOY_LOCK" ORDER BY 1')
    return [r["deploy_id"] for r in rows]


def _take(journal: Journal, deploy_id: str, barrier: threading.Barrier, results: dict[str, Any]) -> None:
    barrier.wait()
    try:
        journal.acquire(deploy_id, holder=deploy_id, run_url="")
        results[deploy_id] = None
    except PipelineOpsError as exc:  # WarehouseBusy, or the emulator's write-write conflict
        results[deploy_id] = exc


def test_two_sessions_never_both_hold_the_lock(server: dict[str, Any], pem: str) -> None:
    a, b = _journal(server, pem), _journal(server, pem)
    try:
        a.migrate()
        b.migrate()
        a.acquire("d1", holder="a", run_url="")
        # what a first run racing through INSERT … WHERE NOT EXISTS can leave once its insert commits: a
        # second, free lock row (Snowflake enforces no primary key)
        b.engine.execute(
            f'INSERT INTO "{DATABASE}"."PIPELINEOPS"."DEPLOY_LOCK" (environment) VALUES (\'prod\')'
        )
        with pytest.raises(WarehouseBusy, match="held by deploy d1"):
            b.acquire("d2", holder="b", run_url="")
        assert _holders(a) == ["d1", None]
        assert a.holder() is not None and a.holder().deploy_id == "d1"  # type: ignore[union-attr]
        a.release("d1")

        # both sessions start together, over and over: exactly one wins each round
        for round_ in range(5):
            results: dict[str, BaseException | None] = {}
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(target=_take, args=(j, f"{name}{round_}", barrier, results))
                for j, name in ((a, "a"), (b, "b"))
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            winners = [d for d, exc in results.items() if exc is None]
            assert len(results) == 2 and len(winners) == 1, results
            assert set(_holders(a)) == {winners[0]}
            (a if winners[0].startswith("a") else b).release(winners[0])
    finally:
        a.engine.close()
        b.engine.close()
