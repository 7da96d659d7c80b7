"""report/data_diff.py: the "Data changes" sections and JSON, escaping, and sensitive columns."""

from __future__ import annotations

import json

from pipelineops.plan import data_diff_results as dd
from pipelineops.plan.data_diff import Retyped, SchemaDiff
from pipelineops.plan.parity_check import Column
from pipelineops.plan.sql.data_diff import DiffColumn
from pipelineops.report import data_diff as render
from pipelineops.report.markdown import render_section
from pipelineops.report.model import Section, StageReport
from pipelineops.report.pr_comment import render_pr_comment

SCHEMA = SchemaDiff(
    added=(Column("tier", "VARCHAR"),),
    removed=(Column("legacy", "DATE"),),
    retyped=(Retyped("amount", "DECIMAL(18,2)", "DECIMAL(18,3)"),),
    compared=(DiffColumn("id"), DiffColumn("segment"), DiffColumn("email"), DiffColumn("amount", True)),
)
KEYED = dd.ModelDiff(
    "dim_customers",
    "model.demo.dim_customers",
    "compared",
    "lake.CI_PR_7_MARTS.dim_customers",
    "lake.MARTS.dim_customers",
    schema=SCHEMA,
    pr_rows=1_090,
    prod_rows=1_200,
    key=("id",),
    key_source="unique + not_null tests",
    counts=dd.KeyCounts(added=0, removed=110, matched=1_090, changed=40, per_column=(0, 40, 1_090, 0)),
    columns=(
        dd.ColumnChange("id", 0, 1_090),
        dd.ColumnChange("segment", 40, 1_090, examples=(("7", "one_time", "<b>vip|@here</b>"),)),
        dd.ColumnChange("email", 1_090, 1_090, sensitive=True),
    ),
    removed_keys=("10", "20"),
    added_keys=("5",),
    notes=("look",),
)
PROFILE = dd.ModelDiff(
    "events",
    "model.demo.events",
    "profile-only",
    "lake.CI_PR_7.events",
    "lake.MAIN.events",
    schema=SchemaDiff((Column("x", "INT"),), (), (), ()),
    pr_rows=3,
    prod_rows=2,
    key_source="no key",
    profile_pr=(
        dd.ColumnProfile("n", 0.0, 3, "1", "3"),
        dd.ColumnProfile("email", 50.0, 1, sensitive=True),
        dd.ColumnProfile("ok", 0.0, 2),
        dd.ColumnProfile("x", 0.0, 3, "a", None),
    ),
    profile_prod=(dd.ColumnProfile("n", 0.0, 2, "1", "2"), dd.ColumnProfile("email", 0.0, 2)),
)
NEW = dd.ModelDiff("brand_new", "model.demo.brand_new", "new-model", "lake.CI_PR_7.brand_new", pr_rows=5)
SKIPPED = dd.ModelDiff("gone", "model.demo.gone", "skipped", "lake.CI_PR_7.gone", notes=("was not built",))


def test_the_summary_comes_first_with_one_row_per_model_and_the_details_are_folded() -> None:
    summary, *details = render.sections([KEYED, PROFILE, NEW, SKIPPED])
    assert summary.title == "Data changes" and not summary.collapsed
    assert summary.headers == render.SUMMARY_HEADERS
    assert summary.rows[0][:9] == (
        "dim_customers",
        "+1 col, -1 col, 1 retyped",
        "1,200",
        "1,090",
        "-110",
        "0",
        "110",
        "40",
        "1,050",
    )
    assert summary.rows[1][1:9] == ("+1 col", "2", "3", "+1", "-", "-", "-", "-")
    assert "profile-only" in summary.rows[1][9]
    assert summary.rows[2][1:5] == ("-", "-", "5", "-") and "new model" in summary.rows[2][9]
    assert "skipped: was not built" in summary.rows[3][9]
    assert [d.title.split(" — ")[0] for d in details] == [
        "Data changes: dim_customers",
        "Data changes: events",
        "Data changes: gone",
    ]
    assert all(d.collapsed for d in details)


def test_keyed_details_show_schema_changes_value_changes_and_examples_but_no_sensitive_value() -> None:
    section = render.model_section(KEYED)
    rows = {r[0]: r for r in section.rows}
    assert rows["tier"][1] == "added (VARCHAR)" and rows["legacy"][1] == "removed (was DATE)"
    assert rows["amount"][1] == "retyped DECIMAL(18,2) → DECIMAL(18,3)"  # the renderer escapes cells
    assert rows["segment"][2] == "3.67% (40 of 1,090)"
    assert rows["segment"][3] == "7: one_time → <b>vip|@\u200bhere</b>"  # raw here, escaped when rendered
    assert rows["email"][2:] == ("100% (1,090 of 1,090)", render.HIDDEN)
    assert "id" not in rows  # unchanged columns are left out
    assert "keys removed (first 2): 10 | 20" in section.text and "keys added (first 1):   5" in section.text
    assert "key:            id (unique + not_null tests)" in section.text and "note: look" in section.text
    html = render_section(section)
    assert html.startswith("<details><summary>") and "<b>" not in html and "@here" not in html


def test_a_model_without_value_changes_has_no_table() -> None:
    quiet = dd.ModelDiff("m", "model.demo.m", "compared", "pr", "prod", key=("id",), schema=None)
    section = render.model_section(quiet)
    assert section.headers == () and section.rows == () and "production:     prod" in section.text
    assert render.summary_row(quiet)[1] == "-"
    same = dd.ModelDiff("m", "u", "compared", "pr", schema=SchemaDiff((), (), (), ()))
    assert render.summary_row(same)[1] == "same"


def test_profile_only_details_compare_each_column_side_by_side_without_sensitive_extremes() -> None:
    section = render.model_section(PROFILE)
    assert "no key" in section.title and section.headers[0] == "column"
    rows = {r[0]: r for r in section.rows}
    assert rows["n"][1:] == ("0% → 0%", "2 → 3", "1 → 1", "2 → 3")
    assert rows["email"][1:] == ("0% → 50%", "2 → 1", render.HIDDEN, render.HIDDEN)
    assert rows["ok"][3:] == ("n/a", "n/a")
    assert rows["x"][1:3] == ("- → 0%", "- → 3")
    assert rows["x"][3:] == ("- → a", "- → -")


def test_no_models_say_so() -> None:
    (only,) = render.sections([])
    assert only == Section("Data changes", text="No modified model has a relation to compare.")


def test_json_has_the_same_numbers_and_no_sensitive_value() -> None:
    data = render.as_json([KEYED, PROFILE])
    keyed = data[0]
    assert keyed["counts"] == {
        "added": 0,
        "removed": 110,
        "matched": 1_090,
        "changed": 40,
        "unchanged": 1_050,
    }
    assert keyed["row_delta"] == -110 and keyed["columns"][1]["pct"] == 3.67
    assert keyed["columns"][2] == {
        "name": "email",
        "changed": 1_090,
        "matched": 1_090,
        "sensitive": True,
        "examples": [],
        "pct": 100.0,
    }
    assert data[1]["counts"] is None and data[1]["profile_pr"][1]["min"] is None
    json.dumps(data)


def test_the_sections_fit_the_comment_chunks() -> None:
    many = [KEYED] * 400
    bodies = render_pr_comment(
        [
            __import__("pipelineops.report.model", fromlist=["StageReport"]).StageReport(
                stage="slim-ci", conclusion="success", title="t", sections=render.sections(many)
            )
        ],
        marker="slim-ci",
        budget=20_000,
    )
    assert len(bodies) > 1 and all(len(b.encode()) < 20_000 for b in bodies)
    assert bodies[0].count("#### Data changes") == 1


def test_attach_puts_the_sections_before_the_folded_plan_and_the_numbers_into_the_json() -> None:
    report = StageReport(
        "slim-ci",
        "success",
        "t",
        sections=(Section("Selected"), Section("Plan", text="x", collapsed=True)),
        data={"pr": 5},
    )
    merged = render.attach(report, [KEYED])
    assert [s.title for s in merged.sections] == [
        "Selected",
        *(s.title for s in render.sections([KEYED])),
        "Plan",
    ]
    assert merged.data == {"pr": 5, "data_diff": render.as_json([KEYED])}
    folded_only = StageReport("slim-ci", "success", "t", sections=(Section("Plan", collapsed=True),))
    assert render.attach(folded_only, [KEYED]).sections[-1].title == "Plan"
    assert render.attach(folded_only, [KEYED]).sections[0].title == render.sections([KEYED])[0].title
