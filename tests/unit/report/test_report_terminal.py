from __future__ import annotations

from pipelineops.report.model import Advice, Annotation, Failure, Link, Section, StageReport
from pipelineops.report.terminal import render_table, render_terminal


def test_render_terminal_plain_aligns_facts_and_tables(deploy_report: StageReport) -> None:
    assert render_terminal(deploy_report, color=False) == (
        "[SUCCESS] bluegreen-swap: Deployed GREEN to prod in 41.2 s\n"
        "  warning: models/x.sql:3: Slow: model x is slow\n"
        "  environment  prod\n"
        "  colour       GREEN\n"
        "  deploy id    d-42\n"
        "\n"
        "== Checks ==\n"
        "  check       result\n"
        "  ----------  --------\n"
        "  row counts  ok\n"
        "  freshness   ok | 3 h\n"
        "\n"
        "== SQL ==\n"
        "  ALTER SCHEMA a SWAP WITH b;\n"
        "\n"
        "finished in 41.2 s · run: https://github.com/acme/dw/actions/runs/7\n"
    )
    assert "\033" not in render_terminal(deploy_report, color=False)


def test_render_terminal_colour_wraps_label_level_and_footer(deploy_report: StageReport) -> None:
    text = render_terminal(deploy_report, color=True)
    assert text.startswith("\033[32m\033[1m[SUCCESS]\033[0m bluegreen-swap:")
    assert "\033[33mwarning\033[0m: models/x.sql:3" in text
    assert "\033[1m== Checks ==\033[0m" in text
    assert "\033[2mfinished in 41.2 s" in text


def test_render_terminal_minimal_report_has_no_footer() -> None:
    report = StageReport(
        "rollback",
        "failure",
        "Rollback refused",
        annotations=(Annotation("error", "colour BLUE was rebuilt"), Annotation("notice", "n", file="f")),
        sections=(Section(title="Why", text="line 1\n\nline 3\n"),),
    )
    assert render_terminal(report, color=False) == (
        "[FAILURE] rollback: Rollback refused\n"
        "  error: colour BLUE was rebuilt\n"
        "  notice: f: n\n"
        "\n== Why ==\n  line 1\n\n  line 3\n"
    )


def test_render_table_without_headers_pads_ragged_rows_and_flattens_newlines() -> None:
    assert render_table((), (("a\nb", "c"), ("long",))) == ["  a b   c", "  long"]


def test_render_terminal_puts_failures_then_advice_then_the_rest() -> None:
    report = StageReport(
        "slim-ci",
        "failure",
        "1 failed",
        facts=(("pr", Link("7", "https://h/pr/7")),),
        failures=(Failure("t", "Got 12 results\n", kind="test", model="orders", file="dbt/x.yml", line=3),),
        advice=(
            Advice("Reproduce:", command="dbt build -s t"),
            Advice("Open", link=Link("the run", "https://h/r"), level="warning"),
        ),
        annotations=(Annotation("error", "t: boom"), Annotation("warning", "spot")),
    )
    assert render_terminal(report, color=False) == (
        "[FAILURE] slim-ci: 1 failed\n"
        "What failed:\n"
        "  - t (test on orders) in dbt/x.yml:3\n"
        "      Got 12 results\n"
        "What to do:\n"
        "  - Reproduce:\n"
        "      dbt build -s t\n"
        "  ! Open the run: https://h/r\n"
        "  warning: spot\n"
        "  pr  7 (https://h/pr/7)\n"
    )
    bare = StageReport("x", "failure", "t", failures=(Failure("build", file="m.sql"),))
    assert "  - build in m.sql\n" in render_terminal(bare, color=False)
    cause = StageReport("x", "failure", "t", failures=(Failure("cause", detail="the lock is held"),))
    assert "  - cause: the lock is held\n" in render_terminal(cause, color=False)
