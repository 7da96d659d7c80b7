"""dbt's JSON log: text lines rebuilt as dbt prints them, node progress read from the event fields."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from pipelineops.dbt.events import LogLine, parse_line, previous_run, progress_verb
from pipelineops.dbt.runner import _lines, json_log_flags
from pipelineops.report.progress import PreviousRun, UnitFinished, UnitStarted

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dbt"
#: stdout of `dbt build --log-format json` of tests/fixtures/dbt_tiny with a failing accepted_values test
#: on `numbers` (so `squares` is skipped); dbt-core 1.11.16, dbt-duckdb 1.11.1
BUILD = FIXTURES / "build_events.jsonl"


def test_a_real_build_log_gives_the_node_events_in_order() -> None:
    events = [e for line in BUILD.read_text(encoding="utf-8").splitlines() if (e := parse_line(line).event)]
    tests = "test.pipelineops_tiny."
    assert events == [
        UnitStarted("model.pipelineops_tiny.numbers", "model numbers", 5),
        UnitFinished("model.pipelineops_tiny.numbers", "ok", 5),
        UnitStarted(
            tests + "accepted_values_numbers_n__1__2.fe4fecf444", "test accepted_values_numbers_n__1__2", 5
        ),
        UnitFinished(tests + "accepted_values_numbers_n__1__2.fe4fecf444", "failed", None),
        UnitStarted(tests + "not_null_numbers_n.08151fe2ca", "test not_null_numbers_n", 5),
        UnitFinished(tests + "not_null_numbers_n.08151fe2ca", "ok", None),
        UnitStarted(tests + "unique_numbers_n.9bbe44147d", "test unique_numbers_n", 5),
        UnitFinished(tests + "unique_numbers_n.9bbe44147d", "ok", None),
        UnitFinished("model.pipelineops_tiny.squares", "skipped", 5),
    ]


def test_text_lines_read_as_dbts_text_format() -> None:
    lines = [t for line in BUILD.read_text(encoding="utf-8").splitlines() for t in parse_line(line).text]
    assert lines[0].endswith("  Running with dbt=1.11.16")
    assert lines[0][:8].count(":") == 2 and lines[0][8:10] == "  "
    assert any(line.endswith("  Done. PASS=3 WARN=0 ERROR=1 SKIP=1 NO-OP=0 TOTAL=5") for line in lines)
    assert any("1 of 5 START sql table model MARTS__GREEN.numbers" in line for line in lines)


def _record(name: str, msg: str, data: object, ts: str = "2026-12-06T01:49:33.400470Z") -> str:
    return json.dumps({"info": {"name": name, "msg": msg, "ts": ts, "level": "info"}, "data": data})


def test_text_of_print_events_multiline_messages_and_bad_timestamps() -> None:
    assert parse_line(_record("PrintEvent", "a\nb", {})).text == ("a", "b")
    assert parse_line(_record("RunResultError", "x\n  y", {})).text == ("01:49:33  x", "  y")
    assert parse_line(_record("Note", "z", {}, ts="yesterday")).text == ("--:--:--  z",)


@pytest.mark.parametrize("line", ["plain text", "[1, 2]", '{"info": "x"}', "{not json"])
def test_lines_that_are_not_dbt_events_pass_through(line: str) -> None:
    assert parse_line(line) == LogLine((line,))


def test_events_without_a_node_or_with_no_data_give_no_progress() -> None:
    assert parse_line(_record("LogStartLine", "s", {"index": 1})).event is None
    assert parse_line(_record("LogStartLine", "s", {"node_info": {"unique_id": ""}})).event is None
    assert parse_line(_record("LogStartLine", "s", [])).event is None
    node = {"unique_id": "model.p.a", "node_status": "success"}
    assert parse_line(_record("LogBatchResult", "batch 1 of 3", {"node_info": node})).event is None


@pytest.mark.parametrize(
    ("status", "node_status", "outcome"),
    [
        ("warn", "warn", "warned"),
        ("error", "", "failed"),
        ("runtime error", "runtime error", "failed"),
        ("OK", "success", "ok"),
        ("ERROR", "error", "failed"),
        ("SELECT 3", "partial success", "failed"),
        ("", "no-op", "ok"),
        ("", "something new", "ok"),
    ],
)
def test_result_outcomes(status: str, node_status: str, outcome: str) -> None:
    data = {
        "status": status,
        "total": 7,
        "node_info": {"unique_id": "source.p.raw.x", "node_status": node_status},
    }
    assert parse_line(_record("LogFreshnessResult", "r", data)).event == UnitFinished(
        "source.p.raw.x",
        outcome,  # type: ignore[arg-type]
        7,
    )


def test_start_label_falls_back_to_the_unique_id() -> None:
    event = parse_line(_record("LogStartLine", "s", {"node_info": {"unique_id": "x.y"}, "total": "3"})).event
    assert event == UnitStarted("x.y", "node x.y", None)


@pytest.mark.parametrize(
    ("args", "verb"),
    [
        (("build", "--vars", "{}"), "built"),
        (("seed",), "seeded"),
        (("source", "freshness"), "checked"),
        (("clone", "--state", "s"), None),
        (("source",), None),
        (("parse",), None),
        (("ls",), None),
        ((), None),
    ],
)
def test_progress_verb(args: tuple[str, ...], verb: str | None) -> None:
    assert progress_verb(args) == verb


def test_previous_run_reads_per_node_seconds_and_the_elapsed_time(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "run_results_small.json", tmp_path / "run_results.json")
    previous = previous_run(tmp_path)
    assert previous is not None
    assert previous.seconds["seed.pipelineops_demo.raw_customers"] == pytest.approx(0.2706, abs=1e-4)
    assert len(previous.seconds) == 4 and previous.elapsed == pytest.approx(5.9209, abs=1e-4)


def test_previous_run_of_another_dbt_command_is_not_used(tmp_path: Path) -> None:
    results = {"args": {"which": "clone"}, "results": [{"unique_id": "a", "execution_time": 0.01}]}
    (tmp_path / "run_results.json").write_text(json.dumps(results), encoding="utf-8")
    assert previous_run(tmp_path, "build") is None
    assert previous_run(tmp_path, "clone") == PreviousRun({"a": 0.01})
    assert previous_run(tmp_path) == PreviousRun({"a": 0.01})


@pytest.mark.parametrize(
    "content",
    [
        None,
        "{broken",
        "[]",
        '{"results": [{"unique_id": "a"}]}',
        '{"results": [{"unique_id": "a", "execution_time": 1}], "elapsed_time": null}',
    ],
)
def test_previous_run_without_usable_timings(tmp_path: Path, content: str | None) -> None:
    if content is not None:
        (tmp_path / "run_results.json").write_text(content, encoding="utf-8")
    previous = previous_run(tmp_path)
    if content and "execution_time" in content:
        assert previous is not None and previous.seconds == {"a": 1.0} and previous.elapsed is None
    else:
        assert previous is None


def test_lines_tick_while_the_stream_is_quiet() -> None:
    """The second line is only written from the tick: reading must not block on the quiet pipe."""
    read_fd, write_fd = os.pipe()
    writer = os.fdopen(write_fd, "w")
    writer.write("first\n")
    writer.flush()
    ticks: list[int] = []

    def tick() -> None:
        ticks.append(1)
        if len(ticks) == 1:
            writer.write("second\n")
            writer.close()

    with os.fdopen(read_fd) as reader:
        assert list(_lines(reader, tick, 0.01)) == ["first", "second"]
    assert ticks


@pytest.mark.parametrize(
    ("args", "flags"),
    [
        (("build",), ["--log-format", "json", "--log-format-file", "debug"]),
        (("source", "freshness", "--log-format-file", "json"), ["--log-format", "json"]),
        (("build", "--log-format-file=text"), ["--log-format", "json"]),
        (("build", "--log-format", "text"), []),
        (("build", "--log-format=json"), []),
    ],
)
def test_json_log_flags_keep_the_callers_own_log_formats(args: tuple[str, ...], flags: list[str]) -> None:
    assert json_log_flags(args) == flags
