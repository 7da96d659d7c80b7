from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from pipelineops.report.model import Annotation, Failure, StageReport
from pipelineops.report.reporter import GithubActionsReporter, TerminalReporter, make_reporter


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_make_reporter_picks_github_actions_only_when_the_runner_says_so() -> None:
    assert isinstance(make_reporter({"GITHUB_ACTIONS": "true"}, io.StringIO()), GithubActionsReporter)
    assert isinstance(make_reporter({"GITHUB_ACTIONS": "false"}, io.StringIO()), TerminalReporter)


def test_make_reporter_colours_a_tty_unless_no_color() -> None:
    tty = make_reporter({}, _Tty(), verbose=True)
    assert isinstance(tty, TerminalReporter) and tty.color and tty.verbose
    plain = make_reporter({"NO_COLOR": "1"}, _Tty())
    assert isinstance(plain, TerminalReporter) and not plain.color
    piped = make_reporter({}, io.StringIO())
    assert isinstance(piped, TerminalReporter) and not piped.color


def test_terminal_reporter_prefixes_lines_and_hides_debug_unless_verbose() -> None:
    stream = io.StringIO()
    reporter = TerminalReporter(stream, color=False)
    reporter.debug("hidden")
    reporter.info("plain")
    reporter.info("located", title="T", file="a.sql")
    reporter.warning("w", file="a.sql", line=3)
    reporter.error("e", title="Boom")
    with reporter.group("dbt build"):
        reporter.info("inside")
    assert stream.getvalue() == (
        "plain\na.sql: T: located\nwarning: a.sql:3: w\nerror: Boom: e\n── dbt build ──\ninside\n\n"
    )
    verbose = TerminalReporter(stream := io.StringIO(), color=False, verbose=True)
    verbose.debug("shown", file="f")
    assert stream.getvalue() == "debug: f: shown\n"


def test_terminal_reporter_group_closes_on_error() -> None:
    stream = io.StringIO()
    reporter = TerminalReporter(stream, color=False)
    with pytest.raises(RuntimeError), reporter.group("g"):
        raise RuntimeError("x")
    assert stream.getvalue() == "── g ──\n\n"


def test_terminal_reporter_redacts_masked_secrets() -> None:
    stream = io.StringIO()
    reporter = TerminalReporter(stream, color=False)
    reporter.mask("s3cr3t\n\nline2")
    reporter.error("auth failed with s3cr3t and line2")
    assert stream.getvalue() == "error: auth failed with *** and ***\n"


def test_terminal_reporter_publish_lists_outputs_after_the_report(deploy_report: StageReport) -> None:
    stream = io.StringIO()
    reporter = TerminalReporter(stream, color=False)
    reporter.output("extra", "1")
    reporter.summary("# kept, not printed")
    reporter.publish(deploy_report, json_mode=False)
    text = stream.getvalue()
    assert text.startswith("[SUCCESS] bluegreen-swap: Deployed GREEN")
    assert text.endswith("outputs:\n  extra     = 1\n  deploy-id = d-42\n  colour    = GREEN\n")
    assert "kept" not in text and reporter.summaries == ["# kept, not printed"]


def test_terminal_reporter_publish_without_outputs_prints_only_the_report() -> None:
    stream = io.StringIO()
    TerminalReporter(stream, color=False).publish(StageReport("s", "skipped", "t"), json_mode=False)
    assert stream.getvalue() == "[SKIPPED] s: t\n"


def test_terminal_reporter_json_mode_prints_only_json(deploy_report: StageReport) -> None:
    stream = io.StringIO()
    TerminalReporter(stream, color=True).publish(deploy_report, json_mode=True)
    assert json.loads(stream.getvalue())["outputs"]["deploy-id"] == "d-42"


@pytest.fixture
def gh_env(tmp_path: Path) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }


def test_github_reporter_writes_workflow_commands(gh_env: dict[str, str]) -> None:
    stream = io.StringIO()
    reporter = GithubActionsReporter(gh_env, stream)
    reporter.debug("d: 1", file="f", line=2)
    reporter.info("i")
    reporter.warning("w\nmore", title="T", file="a,b.sql", line=3)
    reporter.error("e")
    reporter.mask("tok")
    with reporter.group("dbt build"):
        reporter.info("inside")
    assert stream.getvalue() == (
        "::debug::f:2: d: 1\ni\n::warning file=a%2Cb.sql,line=3,title=T::w%0Amore\n::error::e\n"
        "::add-mask::tok\n::group::dbt build\ninside\n::endgroup::\n"
    )


def test_github_reporter_closes_group_on_error(gh_env: dict[str, str]) -> None:
    stream = io.StringIO()
    with pytest.raises(KeyError), GithubActionsReporter(gh_env, stream).group("g"):
        raise KeyError("x")
    assert stream.getvalue().endswith("::endgroup::\n")


def test_github_reporter_publish_emits_annotations_outputs_and_summary(
    gh_env: dict[str, str], deploy_report: StageReport
) -> None:
    stream = io.StringIO()
    reporter = GithubActionsReporter(gh_env, stream)
    reporter.publish(deploy_report, json_mode=False)
    text = stream.getvalue()
    assert text.startswith("\033[32m\033[1m[SUCCESS]")
    assert text.endswith("::warning file=models/x.sql,line=3,title=Slow::model x is slow\n")
    outputs = Path(gh_env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    assert re.fullmatch(r"deploy-id<<(\S+)\nd-42\n\1\ncolour<<(\S+)\nGREEN\n\2\n", outputs)
    summary = Path(gh_env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.startswith("### ✅ Success · bluegreen-swap") and "#### Checks" in summary


def test_github_reporter_json_mode_prints_json_before_the_annotations(
    gh_env: dict[str, str], deploy_report: StageReport
) -> None:
    stream = io.StringIO()
    GithubActionsReporter(gh_env, stream).publish(deploy_report, json_mode=True)
    rendered, annotation = stream.getvalue().rsplit("\n::warning", 1)
    assert json.loads(rendered)["stage"] == "bluegreen-swap"
    assert annotation.startswith(" file=models/x.sql")


def test_terminal_shows_only_the_telling_tool_lines_unless_verbose() -> None:
    lines = [
        "21:00:01  1 of 9 START sql table model MARTS__BLUE.dim_customers ... [RUN]",
        "21:00:02  1 of 9 OK created sql table model MARTS__BLUE.dim_customers ... [OK in 0.2s]",
        "21:00:03  2 of 9 FAIL 3 unique_dim_customers_customer_id ... [FAIL 3 in 0.1s]",
        "21:00:04  Finished running 9 nodes in 0 hours 0 minutes and 3.00 seconds (3.00s).",
        "21:00:04  Done. PASS=8 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=9",
    ]
    quiet, loud = io.StringIO(), io.StringIO()
    for reporter in (TerminalReporter(quiet, color=False), TerminalReporter(loud, color=False, verbose=True)):
        for line in lines:
            reporter.tool_output(line)
    assert quiet.getvalue().splitlines() == [lines[2], lines[3], lines[4]]
    assert loud.getvalue().splitlines() == lines


def test_github_actions_logs_every_tool_line_as_plain_text() -> None:
    stream = io.StringIO()
    GithubActionsReporter({}, stream).tool_output("21:00:01  1 of 9 START sql table model X ... [RUN]")
    assert stream.getvalue() == "21:00:01  1 of 9 START sql table model X ... [RUN]\n"


def test_github_reporter_pins_each_failure_and_drops_duplicate_error_annotations(
    gh_env: dict[str, str],
) -> None:
    stream = io.StringIO()
    report = StageReport(
        "slim-ci",
        "failure",
        "t",
        failures=(Failure("t1", "Got 1 result", file="dbt/x.yml"), Failure("cause", detail="why")),
        annotations=(Annotation("error", "dup"), Annotation("warning", "spot")),
    )
    GithubActionsReporter(gh_env, stream).publish(report, json_mode=False)
    lines = [line for line in stream.getvalue().splitlines() if line.startswith("::")]
    assert lines == [
        "::error file=dbt/x.yml,title=t1::Got 1 result",
        "::error title=cause::why",
        "::warning::spot",
    ]
