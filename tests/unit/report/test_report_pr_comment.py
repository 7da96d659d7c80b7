from __future__ import annotations

import re

import pytest

from pipelineops.report.model import Section, StageReport
from pipelineops.report.pr_comment import (
    COMMENT_BUDGET,
    GITHUB_COMMENT_LIMIT,
    fit_section,
    fit_text,
    marker_line,
    parse_marker,
    render_pr_comment,
    size,
)

URL = "https://github.com/acme/dw/actions/runs/7"


def _assert_within_limits(bodies: list[str], budget: int = COMMENT_BUDGET) -> None:
    for body in bodies:
        assert len(body) < GITHUB_COMMENT_LIMIT and len(body.encode("utf-8")) < 65_535
        assert size(body) <= budget


def _parts(bodies: list[str], marker: str) -> list[tuple[int, int] | None]:
    return [parse_marker(body, marker) for body in bodies]


def test_small_report_is_one_part_with_marker_and_header(deploy_report: StageReport) -> None:
    bodies = render_pr_comment([deploy_report], marker="bluegreen-swap", header="## PipelineOps deploy")
    assert len(bodies) == 1
    assert bodies[0].startswith(
        "<!-- pipelineops:bluegreen-swap part=1/1 -->\n\n## PipelineOps deploy\n\n### ✅"
    )
    assert "Continued" not in bodies[0] and bodies[0].endswith("</sub>\n")


def test_no_reports_still_gives_one_explicit_body() -> None:
    assert render_pr_comment([], marker="slim-ci", header="  ") == [
        "<!-- pipelineops:slim-ci part=1/1 -->\n\n_No stages reported._\n"
    ]


@pytest.mark.parametrize("marker", ["", "a b", "x-->", "-lead", "a\nb"])
def test_marker_must_be_a_plain_name(marker: str) -> None:
    with pytest.raises(ValueError, match="marker must match"):
        render_pr_comment([], marker=marker)
    with pytest.raises(ValueError, match="marker must match"):
        parse_marker("body", marker)


def test_parse_marker_finds_only_our_marker_at_the_start() -> None:
    line = marker_line("pr-schema", 2, 3)
    assert parse_marker(f"\n  {line}\nbody", "pr-schema") == (2, 3)
    assert parse_marker(f"{line}\nbody", "pr-schema-x") is None
    assert parse_marker(f"> {line}", "pr-schema") is None
    assert parse_marker("<!-- pipelineops:pr.schema part=1/1 -->", "pr-schema") is None


def test_long_report_splits_between_sections_in_order() -> None:
    sections = tuple(
        Section(
            title=f"Model {i}", headers=("column", "type"), rows=tuple((f"c{j}", "INT") for j in range(900))
        )
        for i in range(8)
    )
    report = StageReport("pr-schema", "success", "8 models", sections=sections, run_url=URL)
    bodies = render_pr_comment([report], marker="pr-schema", header="## Schema")
    _assert_within_limits(bodies)
    total = len(bodies)
    assert total > 1
    assert _parts(bodies, "pr-schema") == [(i, total) for i in range(1, total + 1)]
    for i, body in enumerate(bodies, start=1):
        assert body.split("\n\n")[1] == "## Schema"
        assert ("_Continued in the next comment" in body) == (i < total)
        assert "truncated" not in body
    joined = "".join(bodies)
    assert [int(n) for n in re.findall(r"#### Model (\d+)", joined)] == list(range(8))
    for i in range(8):  # every section is whole inside one part
        assert sum(f"#### Model {i}\n" in body and body.count("| c899 | INT |") >= 1 for body in bodies) == 1


def test_split_measures_utf8_bytes_not_only_characters() -> None:
    sections = tuple(Section(title=f"S{i}", text="€" * 15_000) for i in range(4))
    bodies = render_pr_comment([StageReport("x", "neutral", "t", sections=sections)], marker="x")
    assert all(len(body) < 32_000 for body in bodies)  # by characters, two sections would fit per part
    assert len(bodies) == 4
    _assert_within_limits(bodies)


def test_oversized_table_section_keeps_whole_rows_and_links_the_run() -> None:
    rows = tuple((f"model_{i}", "x" * 80) for i in range(2_000))
    report = StageReport(
        "slim-ci", "failure", "t", sections=(Section("Models", ("model", "why"), rows),), run_url=URL
    )
    bodies = render_pr_comment([report], marker="slim-ci")
    _assert_within_limits(bodies)
    section_body = next(body for body in bodies if "#### Models" in body)
    assert f"_… truncated, see [the run]({URL}) for the full output._" in section_body
    kept = re.findall(r"^\| model_\d+ \| x{80} \|$", section_body, flags=re.MULTILINE)
    assert 500 < len(kept) < 2_000
    assert size(section_body) > COMMENT_BUDGET - 1_000  # as many rows as fit, not a token few


def test_oversized_text_keeps_all_rows_then_cuts_text_inside_a_closed_fence() -> None:
    section = Section("dbt log", headers=("k",), rows=(("v",),), text="line\n" * 40_000, collapsed=True)
    text = fit_section(section, 5_000, "NOTE")
    assert size(text) <= 5_000
    assert text.startswith("<details><summary>dbt log</summary>\n\n| k |\n| --- |\n| v |\n\n```\nline\n")
    assert text.endswith("\nline\n```\n\n</details>\n\nNOTE")


def test_oversized_single_line_text_is_cut_mid_line() -> None:
    text = fit_section(Section("blob", text="ab" * 5_000), 1_000, "NOTE")
    assert size(text) <= 1_000
    assert re.fullmatch(r"#### blob\n\n```\n(?:ab)+a?\n```\n\nNOTE", text)


def test_fit_section_returns_small_sections_unchanged() -> None:
    assert fit_section(Section("s", text="x"), 1_000, "NOTE") == "#### s\n\n```\nx\n```"


def test_fit_section_cuts_even_a_section_whose_title_alone_is_too_big() -> None:
    text = fit_section(Section("é" * 3_000), 1_000, "NOTE")
    assert size(text) <= 1_000 and text.endswith("\n\nNOTE") and text.startswith("#### éé")


def test_fit_text_keeps_whole_lines_or_cuts_a_single_giant_line() -> None:
    block = "\n".join(f"- item {i}" for i in range(1_000))
    fitted = fit_text(block, 200, "NOTE")
    assert (
        size(fitted) <= 200
        and fitted.endswith("\nNOTE")
        and all(line.startswith("- item ") for line in fitted.splitlines()[:-1])
    )
    assert fit_text("short", 200, "NOTE") == "short"
    giant = fit_text("ü" * 500, 101, "NOTE")
    assert size(giant) <= 101 and giant.endswith("\nNOTE") and set(giant[:-5]) == {"ü"}


def test_oversized_heading_and_facts_are_cut_with_a_note_without_run_link() -> None:
    report = StageReport(
        "status", "neutral", "t" * 70_000, facts=tuple((f"k{i}", "v" * 50) for i in range(3_000))
    )
    bodies = render_pr_comment([report], marker="status")
    _assert_within_limits(bodies)
    assert all("_… truncated, see the run log for the full output._" in body for body in bodies)


def test_several_reports_share_parts_and_stay_in_order(deploy_report: StageReport) -> None:
    other = StageReport("rollback", "skipped", "skipped because nothing was deployed")
    bodies = render_pr_comment([deploy_report, other], marker="deploy")
    assert len(bodies) == 1
    assert bodies[0].index("bluegreen-swap") < bodies[0].index("rollback")


def test_budget_must_leave_room_for_content() -> None:
    with pytest.raises(ValueError, match="too small"):
        render_pr_comment([], marker="m", budget=500)


def test_smaller_budget_is_honoured(deploy_report: StageReport) -> None:
    reports = [deploy_report] * 10
    bodies = render_pr_comment(reports, marker="m", header="# H", budget=2_000)
    assert len(bodies) == 3
    assert sum(body.count("### ✅ Success · bluegreen-swap") for body in bodies) == 10
    _assert_within_limits(bodies, budget=2_000)
