"""The data diff's Snowflake SQL run by the Snowflake engine on the fakesnow emulator (upper-case names,
upper-case result columns, HASH, IS DISTINCT FROM, the key-hash sample).

fakesnow has no statement timeout: the session statements are checked by the golden SQL and the strict
static check; here the engine skips them (``session_timeout`` is asked for the local dialect).
"""

from __future__ import annotations

from dataclasses import replace

from tests.integration.snowflake.support import DATABASE

from pipelineops.config.model import DataDiffConfig
from pipelineops.engines.snowflake import SnowflakeEngine
from pipelineops.execute import data_diff
from pipelineops.plan import data_diff_results as results
from pipelineops.plan import sql
from pipelineops.plan.data_diff_specs import ModelSpec
from pipelineops.plan.sql import SNOWFLAKE

D: sql.Dialect = SNOWFLAKE
PR = sql.Relation(DATABASE, "CI_PR_3_MARTS", "ORDERS")
PROD = sql.Relation(DATABASE, "MARTS", "ORDERS")


def test_a_keyed_and_a_keyless_diff_on_the_emulator(engine: SnowflakeEngine, monkeypatch) -> None:
    for schema in ("CI_PR_3_MARTS", "MARTS"):
        engine.execute(sql.create_schema(DATABASE, schema, D))
    engine.execute(f"CREATE TABLE {PROD.sql(D)} (ID INT, STATUS VARCHAR, EMAIL VARCHAR)")
    engine.execute(
        f"INSERT INTO {PROD.sql(D)} VALUES (1, 'placed', 'a@x'), (2, 'placed', 'b@x'), (3, 'shipped', 'c@x')"
    )
    engine.execute(f"CREATE TABLE {PR.sql(D)} (ID INT, STATUS VARCHAR, EMAIL VARCHAR, NOTE VARCHAR)")
    engine.execute(
        f"INSERT INTO {PR.sql(D)} VALUES (2, 'shipped', 'B@X', 'n'), (3, 'shipped', 'c@x', 'n'), (4, 'placed', 'd@x', 'n')"
    )
    engine.execute("COMMIT")
    monkeypatch.setattr(data_diff.sql, "session_timeout", lambda seconds, dialect: ())
    monkeypatch.setattr(data_diff.sql, "session_timeout_reset", lambda dialect: ())
    spec = ModelSpec("model.d.orders", "orders", PR, PROD, ("ID",), "tests", frozenset({"EMAIL"}))
    keyed, keyless = data_diff.diff_models(engine, [spec, replace(spec, keys=())], DataDiffConfig(examples=2))
    assert keyed.status == "compared" and (keyed.prod_rows, keyed.pr_rows) == (3, 3)
    assert keyed.counts == results.KeyCounts(added=1, removed=1, matched=2, changed=1, per_column=(0, 1, 1))
    assert [c.name for c in keyed.schema.added] == ["NOTE"] if keyed.schema else False
    status = next(c for c in keyed.columns if c.name == "STATUS")
    assert status.examples == (("2", "placed", "shipped"),)
    assert next(c for c in keyed.columns if c.name == "EMAIL").examples == ()
    assert (keyed.added_keys, keyed.removed_keys) == (("4",), ("1",))
    assert keyless.status == "profile-only"
    assert {p.name: p.distinct for p in keyless.profile_pr}["STATUS"] == 2
