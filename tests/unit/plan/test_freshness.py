"""Source freshness against the SLAs: sources.json (and dbt's JSON log) → rows, verdicts and a summary."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipelineops.errors import UserError
from pipelineops.plan import freshness, gates
from pipelineops.plan.freshness import Threshold

HOUR = 3600.0
CRITERIA = {
    "warn_after": {"count": 30, "period": "hour"},
    "error_after": {"count": 120, "period": "hour"},
    "filter": None,
}


def _result(table: str, status: str, hours: float, criteria: Any = CRITERIA) -> dict[str, Any]:
    return {
        "unique_id": f"source.demo.raw.{table}",
        "max_loaded_at": "2025-06-30T00:30:00+00:00",
        "max_loaded_at_time_ago_in_s": hours * HOUR,
        "status": status,
        "criteria": criteria,
    }


def _sources_json(*results: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json"},
        "results": list(results),
    }


def _event(name: str, **data: Any) -> str:
    return json.dumps({"info": {"name": name, "level": "info"}, "data": data})


def _judge(data: dict[str, Any], fail_on: freshness.FailOn = "error", **kw: Any) -> freshness.Summary:
    return freshness.summarise(freshness.judge(freshness.parse_sources(data, **kw), fail_on), fail_on)


# --- --select -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (None, ()),
        ("   ", ()),
        ("source:carrier.shipments", ("source:carrier.shipments",)),
        ("  source:shop.orders   source:carrier+ ", ("source:shop.orders", "source:carrier+")),
        ("source:raw.* path/to-dir tag:sla_1", ("source:raw.*", "path/to-dir", "tag:sla_1")),
    ],
)
def test_parse_select_accepts_plain_selectors_split_into_words(
    raw: str | None, words: tuple[str, ...]
) -> None:
    assert freshness.parse_select(raw) == words


@pytest.mark.parametrize(
    "hostile",
    [
        "source:shop.orders; rm -rf /",
        "$(id)",
        "`id`",
        "source:shop.orders\n--target dev",
        "--target dev",
        "source:shop.orders --vars {}",
        "-s source:shop.orders",
        "source:shop.orders,source:raw.payments",
        "@source:shop.orders",
        "a|b",
    ],
)
def test_parse_select_refuses_anything_but_a_plain_selector(hostile: str) -> None:
    with pytest.raises(UserError) as exc:
        freshness.parse_select(hostile)
    assert exc.value.exit_code == 2
    assert "not a plain dbt selector" in exc.value.what
    assert "--select 'source:carrier.shipments" in exc.value.fix
    assert exc.value.runbook == "sev3-freshness.md"


def test_dbt_args_pass_the_selection_through_and_ask_for_a_json_file_log() -> None:
    assert freshness.dbt_args(()) == ("source", "freshness", "--log-format-file", "json")
    assert freshness.dbt_args(("source:shop.orders", "source:carrier.shipments")) == (
        "source",
        "freshness",
        "--select",
        "source:shop.orders",
        "source:carrier.shipments",
        "--log-format-file",
        "json",
    )


# --- thresholds ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "text", "hours"),
    [
        (Threshold(30, "hour"), "30 h", 30.0),
        (Threshold(2, "day"), "2 d = 48 h", 48.0),
        (Threshold(90, "minute"), "90 min", 1.5),
        (Threshold(None, None), "—", None),
        (Threshold(3, None), "—", None),
        (Threshold(3, "fortnight"), "3 fortnight", None),
    ],
)
def test_thresholds_render_with_their_unit_and_convert_to_hours(
    threshold: Threshold, text: str, hours: float | None
) -> None:
    assert threshold.render() == text
    assert threshold.hours == hours


def test_thresholds_come_from_the_criteria_of_each_result() -> None:
    (src,) = freshness.parse_sources(
        _sources_json(
            _result(
                "orders",
                "pass",
                1,
                {"warn_after": {"count": 1, "period": "day"}, "error_after": {"count": None, "period": None}},
            )
        )
    )
    assert (src.warn_after, src.error_after) == (Threshold(1, "day"), Threshold(None, None))
    assert freshness.Judged(src, "pass", False).row()[3:5] == ("1 d = 24 h", "—")


def test_malformed_criteria_and_results_are_read_as_unset() -> None:
    data = _sources_json(
        _result("a", "pass", 1, criteria="nonsense"),
        _result("b", "pass", 1, criteria={"warn_after": {"count": True, "period": 7}, "error_after": None}),
    )
    data["results"].append("not a result")
    a, b = freshness.parse_sources(data)
    assert (a.warn_after, a.error_after) == (freshness.NO_THRESHOLD, freshness.NO_THRESHOLD)
    assert (b.warn_after, b.error_after) == (freshness.NO_THRESHOLD, freshness.NO_THRESHOLD)
    assert freshness.parse_sources({"results": "nope"}) == ()
    assert freshness.parse_sources({}) == ()


def test_manifest_thresholds_by_source() -> None:
    manifest = {
        "sources": {
            "source.demo.raw.ghost": {"freshness": CRITERIA},
            "source.demo.raw.bare": {"freshness": None},
            "source.demo.raw.odd": "not a node",
        }
    }
    assert freshness.thresholds(manifest) == {
        "source.demo.raw.ghost": (Threshold(30, "hour"), Threshold(120, "hour")),
        "source.demo.raw.bare": (freshness.NO_THRESHOLD, freshness.NO_THRESHOLD),
    }
    assert freshness.thresholds({}) == {}


# --- verdicts: pass / warn / error / runtime error ----------------------------------------------------------


def test_pass_warn_and_error_rows_with_age_thresholds_and_sla() -> None:
    data = _sources_json(
        _result("shipments", "warn", 93.75),
        _result("orders", "pass", 21.7),
        _result("payments", "error", 130),
    )
    judged = freshness.judge(freshness.parse_sources(data), "error")
    assert [j.row() for j in judged] == [
        ("raw.orders", "pass", "21.7", "30 h", "120 h", "on time"),
        ("raw.payments", "error", "130.0", "30 h", "120 h", "late: past error_after (120 h)"),
        ("raw.shipments", "warn", "93.8", "30 h", "120 h", "late: past warn_after (30 h)"),
    ]
    assert [(j.verdict, j.fails) for j in judged] == [("pass", False), ("fail", True), ("warn", False)]
    assert judged[0].source.max_loaded_at == "2025-06-30T00:30:00+00:00"


def test_verdicts_are_those_of_the_deploy_gate() -> None:
    data = _sources_json(_result("a", "pass", 1), _result("b", "warn", 40), _result("c", "error", 200))
    sources = freshness.parse_sources(data)
    gate = {g.subject: g.verdict for g in gates.freshness([s.outcome for s in sources])}
    assert {j.source.outcome.unique_id: j.verdict for j in freshness.judge(sources, "warn")} == gate


def test_a_failed_query_in_sources_json_is_a_failure_with_dbts_error() -> None:
    data = _sources_json(
        {"unique_id": "source.demo.raw.ghost", "status": "runtime error", "error": "table raw_ghost missing"}
    )
    (j,) = freshness.judge(freshness.parse_sources(data), "error")
    assert j.verdict == "fail" and j.fails
    assert j.row() == ("raw.ghost", "runtime error", "—", "—", "—", "query failed: table raw_ghost missing")


def test_the_deploy_gate_shows_dbts_error_for_a_failed_query() -> None:
    (gate,) = gates.freshness(
        [gates.FreshnessOutcome("source.demo.raw.ghost", "runtime error", 0, error="boom")]
    )
    assert (gate.verdict, gate.detail) == ("fail", "runtime error: boom")
    (old,) = gates.freshness([gates.FreshnessOutcome("source.demo.raw.ghost", "runtime error", 0)])
    assert old.detail == "runtime error: last load 0.0 h ago"


def test_a_failed_query_without_a_message_still_says_it_failed() -> None:
    (j,) = freshness.judge(freshness.parse_sources({}, failed={"source.demo.raw.ghost": ""}), "warn")
    assert j.sla == "query failed"
    assert j.fails


def test_runtime_errors_left_out_of_sources_json_are_found_in_the_json_log() -> None:
    node = {"unique_id": "source.demo.raw.ghost", "node_name": "ghost"}
    lines = [
        "not json at all",
        json.dumps(["a", "list"]),
        json.dumps({"info": "odd", "data": {}}),
        _event("MainReportVersion", version="1.11"),
        _event("LogFreshnessResult", status="pass", node_info={"unique_id": "source.demo.raw.orders"}),
        _event("LogFreshnessResult", status="runtime error", node_info=node),
        _event(
            "LogFreshnessResult", status="runtime error", node_info={"unique_id": "source.demo.raw.nomsg"}
        ),
        _event(
            "RunResultError",
            msg="Runtime Error in source ghost (models/staging/_sources.yml)\n"
            "  Catalog Error: Table with name raw_ghost does not exist!\n  Did you mean raw_orders?",
            node_info=node,
        ),
        _event("RunResultError", msg="", node_info={"unique_id": "source.demo.raw.nomsg"}),
        _event("RunResultError", msg="no node", node_info=None),
    ]
    assert freshness.runtime_errors(lines) == {
        "source.demo.raw.ghost": "Catalog Error: Table with name raw_ghost does not exist!",
        "source.demo.raw.nomsg": "",
    }


def test_a_failed_query_takes_its_thresholds_from_the_manifest_and_a_result_wins_over_the_log() -> None:
    data = _sources_json(_result("orders", "pass", 2))
    sources = freshness.parse_sources(
        data,
        failed={"source.demo.raw.ghost": "boom", "source.demo.raw.orders": "stale log line"},
        manifest_thresholds={"source.demo.raw.ghost": (Threshold(1, "hour"), Threshold(2, "hour"))},
    )
    assert [(s.name, s.outcome.status, s.warn_after.render(), s.outcome.error) for s in sources] == [
        ("raw.ghost", "runtime error", "1 h", "boom"),
        ("raw.orders", "pass", "30 h", ""),
    ]
    assert sources[0].age_hours is None


def test_a_unique_id_that_is_not_a_source_id_is_shown_whole() -> None:
    (src,) = freshness.parse_sources({"results": [{"unique_id": "odd", "status": "pass"}]})
    assert src.name == "odd"
    assert src.age_hours == 0.0


# --- --fail-on levels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "fail_on", "fails"),
    [
        ("pass", "warn", False),
        ("pass", "error", False),
        ("warn", "warn", True),
        ("warn", "error", False),
        ("fail", "warn", True),
        ("fail", "error", True),
    ],
)
def test_fail_on_level(verdict: gates.Verdict, fail_on: freshness.FailOn, fails: bool) -> None:
    assert freshness.fails_run(verdict, fail_on) is fails


def test_a_warning_fails_only_at_fail_on_warn() -> None:
    data = _sources_json(_result("orders", "pass", 21.7), _result("shipments", "warn", 93.7))
    relaxed = _judge(data, "error")
    strict = _judge(data, "warn")
    assert not relaxed.failed and strict.failed
    assert relaxed.title == "1 of 2 sources late; stalest: raw.shipments at 93.7 h"
    assert strict.title == "1 of 2 sources late; stalest: raw.shipments at 93.7 h (fails at --fail-on warn)"


def test_a_failed_query_fails_at_either_level() -> None:
    for level in freshness.FAIL_ON:
        summary = _judge({}, level, failed={"source.demo.raw.ghost": "boom"})
        assert summary.failed
        assert summary.title == f"1 source checked, 1 freshness query failed (fails at --fail-on {level})"


# --- summary and outputs ------------------------------------------------------------------------------------


def test_summary_counts_late_errors_and_the_stalest_source() -> None:
    data = _sources_json(
        _result("orders", "pass", 21.7),
        _result("shipments", "warn", 93.74),
        _result("payments", "error", 130.25),
    )
    summary = _judge(data, "error", failed={"source.demo.raw.ghost": "x"}, manifest_thresholds={})
    assert (summary.total, summary.late, summary.errors, summary.failed_queries, summary.failing) == (
        4,
        2,
        2,
        1,
        2,
    )
    assert (summary.stalest, summary.stalest_hours) == ("raw.payments", 130.25)
    assert summary.outputs() == (("late-count", "2"), ("error-count", "2"), ("stalest-hours", "130.2"))
    assert summary.title == (
        "2 of 4 sources late, 1 freshness query failed; stalest: raw.payments at 130.2 h (fails at --fail-on error)"
    )


def test_summary_when_everything_is_on_time() -> None:
    summary = _judge(_sources_json(_result("orders", "pass", 3), _result("payments", "pass", 5)))
    assert summary.title == "all 2 sources on time; stalest: raw.payments at 5.0 h"
    assert summary.outputs() == (("late-count", "0"), ("error-count", "0"), ("stalest-hours", "5.0"))
    assert not summary.failed


def test_summary_of_several_failed_queries_and_no_source_at_all() -> None:
    summary = _judge({}, "error", failed={"source.demo.raw.a": "", "source.demo.raw.b": ""})
    assert summary.title == "2 sources checked, 2 freshness queries failed (fails at --fail-on error)"
    assert summary.outputs()[2] == ("stalest-hours", "")
    empty = _judge({})
    assert empty.title == "no source has a freshness check"
    assert (empty.total, empty.failed, empty.stalest) == (0, False, "")
