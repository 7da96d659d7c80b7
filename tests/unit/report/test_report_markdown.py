from __future__ import annotations

import pytest

from pipelineops.report.markdown import (
    conclusion_label,
    file_link,
    render_advice_item,
    render_annotation,
    render_failure,
    render_footer,
    render_markdown,
    render_section,
    render_table,
    report_blocks,
)
from pipelineops.report.model import Advice, Annotation, Failure, Link, Section, StageReport


@pytest.mark.parametrize(
    ("conclusion", "label"),
    [
        ("success", "✅ Success"),
        ("failure", "❌ Failure"),
        ("skipped", "⏭️ Skipped"),
        ("neutral", "\N{INFORMATION SOURCE}\ufe0f Neutral"),
        ("cancelled", "🚫 Cancelled"),
    ],
)
def test_conclusion_label_has_emoji_and_word(conclusion: str, label: str) -> None:
    assert conclusion_label(conclusion) == label  # type: ignore[arg-type]


def test_render_table_pads_short_rows_and_renders_links_and_escaped_text() -> None:
    assert render_table(("a",), (("1", "2"), ("3",))) == "| a |  |\n| --- | --- |\n| 1 | 2 |\n| 3 |  |"
    table = render_table(("run",), ((Link("gh-1", "https://h/r/1"),), ("a|b",)))
    assert table.splitlines()[2:] == ["| [gh-1](https://h/r/1) |", "| a\\|b |"]


def test_render_section_open_with_table_and_text() -> None:
    text = render_section(Section(title="Plan\nsteps", headers=("n",), rows=(("1",),), text="SELECT 1"))
    assert text == "#### Plan steps\n\n| n |\n| --- |\n| 1 |\n\n```\nSELECT 1\n```"


def test_render_section_collapsed_escapes_the_summary_html() -> None:
    text = render_section(Section(title="<b>SQL</b>", text="x", collapsed=True))
    assert text.startswith("<details><summary>&lt;b&gt;SQL&lt;/b&gt;</summary>\n\n```\nx\n```")
    assert text.endswith("\n\n</details>")


def test_render_section_empty_says_so() -> None:
    assert render_section(Section(title="Nothing", text="  \n")) == "#### Nothing\n\n_Nothing to show._"


def test_render_annotation_with_and_without_location() -> None:
    full = Annotation("error", "bad\nfix: do it", title="Boom", file="m.sql", line=4)
    assert render_annotation(full) == "* ❌ `m.sql:4` **Boom**: bad fix: do it"
    linked = render_annotation(Annotation("warning", "w", file="m.sql"), "https://h/o/r/blob/abc")
    assert linked == "* ⚠️ [m.sql](https://h/o/r/blob/abc/m.sql) w"
    assert render_annotation(Annotation("notice", "n")) == "* \N{INFORMATION SOURCE}\ufe0f n"


def test_file_link_points_at_the_line_when_known() -> None:
    assert (
        file_link("dbt/m.sql", 3, "https://h/o/r/blob/abc/")
        == "[dbt/m.sql:3](https://h/o/r/blob/abc/dbt/m.sql#L3)"
    )
    assert file_link("dbt/m.sql", None, None) == "`dbt/m.sql`"


def test_render_failure_names_kind_model_file_and_error() -> None:
    failure = Failure("not_null_orders_id", "Got 12 results", kind="test", model="orders", file="dbt/x.yml")
    assert render_failure(failure, None) == (
        "- **not_null_orders_id** (test on `orders`) in `dbt/x.yml`\n\n  ```\n  Got 12 results\n  ```"
    )
    assert render_failure(Failure("build"), None) == "- **build**"


def test_render_advice_item_with_link_command_and_warning() -> None:
    advice = Advice("Run it again:", command="make it", link=Link("the workflow", "https://h/w"))
    assert (
        render_advice_item(advice) == "- Run it again: [the workflow](https://h/w)\n\n  ```\n  make it\n  ```"
    )
    assert render_advice_item(Advice("Careful", level="warning")) == "- ⚠️ Careful"


def test_render_footer_links_the_run_and_escapes_the_url() -> None:
    report = StageReport("x", "success", "t", run_url="https://h/a b(1)", duration_s=2.0)
    assert render_footer(report) == "<sub>Finished in 2.0 s · [View the run](https://h/a%20b%281%29)</sub>"
    assert render_footer(StageReport("x", "success", "t")) == ""


def test_render_markdown_full_report(deploy_report: StageReport) -> None:
    assert render_markdown(deploy_report) == (
        "### ✅ Success · bluegreen-swap — Deployed GREEN to prod in 41.2 s\n\n"
        "* ⚠️ `models/x.sql:3` **Slow**: model x is slow\n\n"
        "+ **environment**: prod\n+ **colour**: GREEN\n+ **deploy id**: d-42\n\n"
        "#### Checks\n\n| check | result |\n| --- | --- |\n"
        "| row counts | ok |\n| freshness | ok \\| 3 h |\n\n"
        "<details><summary>SQL</summary>\n\n```\nALTER SCHEMA a SWAP WITH b;\n```\n\n</details>\n\n"
        "<sub>Finished in 41.2 s · [View the run](https://github.com/acme/dw/actions/runs/7)</sub>\n"
    )


def test_failures_come_before_advice_and_replace_error_annotations() -> None:
    report = StageReport(
        "slim-ci",
        "failure",
        "1 failed",
        facts=(("pr", "7"),),
        failures=(Failure("t", "boom"),),
        advice=(Advice("fix it"),),
        annotations=(Annotation("error", "t: boom"), Annotation("warning", "blind spot")),
    )
    blocks = report_blocks(report)
    assert [b.splitlines()[0] for b in blocks] == [
        "### ❌ Failure · slim-ci — 1 failed",
        "#### What failed",
        "#### What to do",
        "* ⚠️ blind spot",
        "+ **pr**: 7",
    ]


def test_report_blocks_skips_empty_parts() -> None:
    report = StageReport("status", "skipped", "skipped because no PR")
    assert report_blocks(report) == ["### ⏭️ Skipped · status — skipped because no PR"]
