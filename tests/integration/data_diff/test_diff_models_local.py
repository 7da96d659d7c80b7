"""execute/data_diff.diff_models on the real local engine (DuckDB + DuckLake): numbers, profile, sample,
budget and sensitive columns, on small tables built here."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest

from pipelineops.config.model import DataDiffConfig
from pipelineops.engines.duckdb import LocalEngine
from pipelineops.execute.data_diff import diff_models
from pipelineops.plan import data_diff as dd
from pipelineops.plan import data_diff_results as results
from pipelineops.plan.data_diff_specs import ModelSpec
from pipelineops.plan.sql import SNOWFLAKE, Relation
from pipelineops.report import data_diff as render
from pipelineops.report.markdown import render_section

PR = Relation("lake", "CI_PR_5_MARTS", "customers")
PROD = Relation("lake", "MARTS", "customers")
SECRET = "secret-mail-"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEngine]:
    eng = LocalEngine(tmp_path_factory.mktemp("dd") / "warehouse")
    for schema in ("MARTS", "CI_PR_5_MARTS"):
        eng.execute(f'CREATE SCHEMA IF NOT EXISTS lake."{schema}"')
    # production: ids 1..2000; the PR drops ids 1..100, adds 2001..2050, re-segments ids divisible by 7,
    # upper-cases every e-mail (sensitive) and adds a column
    eng.execute(
        'CREATE TABLE lake."MARTS"."customers" AS SELECT i AS id, '
        "CASE WHEN i % 3 = 0 THEN 'vip' ELSE 'regular' END AS segment, "
        f"'{SECRET}' || i AS email, CAST(i * 1.5 AS DECIMAL(18,2)) AS amount "
        "FROM range(1, 2001) t(i)"
    )
    eng.execute(
        'CREATE TABLE lake."CI_PR_5_MARTS"."customers" AS SELECT i AS id, '
        "CASE WHEN i % 7 = 0 THEN 'new' WHEN i % 3 = 0 THEN 'vip' ELSE 'regular' END AS segment, "
        f"upper('{SECRET}' || i) AS email, CAST(i * 1.5 AS DECIMAL(18,2)) AS amount, i % 2 = 0 AS even "
        "FROM range(101, 2051) t(i)"
    )
    eng.execute('CREATE TABLE lake."CI_PR_5_MARTS"."brand_new" AS SELECT 1 AS id')
    eng.execute('CREATE TABLE lake."MARTS"."odd" AS SELECT 1 AS "bad name"')
    eng.execute('CREATE TABLE lake."CI_PR_5_MARTS"."odd" AS SELECT 1 AS "bad name"')
    yield eng
    eng.close()


def spec(keys: tuple[str, ...] = ("id",), **kw: object) -> ModelSpec:
    base = ModelSpec(
        "model.demo.customers", "customers", PR, PROD, keys, "unique + not_null tests", frozenset({"EMAIL"})
    )
    return replace(base, **kw)  # type: ignore[arg-type]


CFG = DataDiffConfig(threshold=1_000_000, budget_seconds=60, examples=2)


def test_a_keyed_model_gives_exact_counts_changes_and_examples(
    engine: LocalEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    (d,) = diff_models(engine, [spec()], CFG)
    assert d.status == "compared" and (d.prod_rows, d.pr_rows, d.row_delta) == (2_000, 1_950, -50)
    assert d.counts == results.KeyCounts(
        added=50, removed=100, matched=1_900, changed=1_900, per_column=(0, 271, 1_900, 0)
    )
    assert [c.name for c in d.schema.added] == ["even"] if d.schema else False
    segment = next(c for c in d.columns if c.name == "segment")
    assert segment.changed == 271 and segment.examples == (("105", "vip", "new"), ("112", "regular", "new"))
    email = next(c for c in d.columns if c.name == "email")
    assert email.sensitive and email.changed == 1_900 and email.examples == ()
    assert (d.added_keys, d.removed_keys) == (("2001", "2002"), ("1", "2"))
    shown = "\n".join(render_section(s) for s in render.sections([d])) + str(render.as_json([d]))
    assert SECRET not in shown and SECRET.upper() not in shown
    assert SECRET not in caplog.text and SECRET.upper() not in caplog.text


def test_a_keyless_model_gets_column_profiles_labelled_profile_only(engine: LocalEngine) -> None:
    (d,) = diff_models(engine, [spec(keys=(), key_source="no key")], CFG)
    assert d.status == "profile-only" and d.counts is None and d.key_source == "no key"
    pr = {p.name: p for p in d.profile_pr}
    prod = {p.name: p for p in d.profile_prod}
    assert (prod["id"].min, prod["id"].max, pr["id"].min, pr["id"].max) == ("1", "2000", "101", "2050")
    assert (prod["segment"].distinct, pr["segment"].distinct) == (2, 3)
    assert pr["email"].min is None and pr["email"].distinct == 1_950
    assert pr["even"].min is None and pr["even"].null_pct == 0.0
    assert pr["email"].sensitive and prod["email"].sensitive and not pr["even"].sensitive
    assert "profile-only" in render.sections([d])[0].rows[0][-1]


def test_above_the_threshold_rows_are_sampled_by_key_hash_the_same_way_every_time(
    engine: LocalEngine,
) -> None:
    cfg = replace(CFG, threshold=500)
    (d,) = diff_models(engine, [spec()], cfg)
    again = diff_models(engine, [spec()], cfg)[0]
    assert d == again and d.sample == "sampled: 25% of keys by key hash (deterministic)"
    assert d.counts is not None and 0 < d.counts.matched < 1_900
    (n,) = engine.query(
        'SELECT COUNT(*) AS n FROM lake."MARTS"."customers" '
        "WHERE id > 100 AND ABS(MOD(HASH(CAST(id AS VARCHAR)), 10000)) < 2500"
    )
    assert d.counts.matched == n["n"]
    (kl,) = diff_models(engine, [spec(keys=())], cfg)
    assert kl.sample == "every row; distinct counts approximate"


def test_a_spent_budget_skips_the_rest_with_a_note(engine: LocalEngine) -> None:
    ticks = iter(range(0, 10_000, 40))
    (d,) = diff_models(engine, [spec()], CFG, clock=lambda: float(next(ticks)))
    assert d.status == "skipped" and d.counts is None and "time budget of 60 s" in d.notes[0]


def test_new_unbuilt_and_failing_models_are_reported_not_raised(engine: LocalEngine) -> None:
    new = spec(pr=Relation("lake", "CI_PR_5_MARTS", "brand_new"), prod=None)
    missing = spec(pr=Relation("lake", "CI_PR_5_MARTS", "nowhere"))
    odd = spec(pr=Relation("lake", "CI_PR_5_MARTS", "odd"), prod=Relation("lake", "MARTS", "odd"), keys=())
    a, b, c = diff_models(engine, [new, missing, odd], CFG)
    assert (a.status, a.pr_rows) == ("new-model", 1)
    assert b.status == "skipped" and "was not built" in b.notes[0]
    assert c.status == "skipped" and "the comparison failed" in c.notes[0]


def test_examples_are_left_out_when_the_key_is_sensitive(engine: LocalEngine) -> None:
    (d,) = diff_models(engine, [spec(sensitive=frozenset({"ID"}))], CFG)
    assert d.added_keys == () and all(c.examples == () for c in d.columns)
    assert "no example keys" in d.notes[0]


def test_the_sections_go_before_the_folded_plan_and_the_numbers_into_the_json() -> None:
    from pipelineops.report.data_diff import attach
    from pipelineops.report.model import Section, StageReport

    report = StageReport(
        "slim-ci",
        "success",
        "t",
        sections=(Section("Selected"), Section("Plan", text="x", collapsed=True)),
        data={"pr": 5},
    )
    d = results.ModelDiff("customers", "model.demo.customers", "compared", "pr")
    merged = attach(report, [d])
    assert [s.title.split(" — ")[0] for s in merged.sections] == [
        "Selected",
        "Data changes",
        "Data changes: customers",
        "Plan",
    ]
    assert merged.data["pr"] == 5 and merged.data["data_diff"][0]["name"] == "customers"  # type: ignore[index]
    plan = dd.read_plan(
        [spec(), spec(prod=None, keys=())],
        budget_seconds=CFG.budget_seconds,
        threshold=CFG.threshold,
        dialect=SNOWFLAKE,
    )
    first, second = plan.steps
    assert first.sql[0] == "ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 60" and len(first.sql) == 4
    assert "key diff on id" in first.why and "column profiles" in second.why and len(second.sql) == 2
