"""Progress counts, the time-left estimate, the live status, the heartbeat line and when it beats."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipelineops.report.progress import (
    Heartbeat,
    PreviousRun,
    ProgressState,
    UnitFinished,
    UnitStarted,
    advance,
    estimate_left,
    format_elapsed,
    render_heartbeat,
    render_status,
    render_summary,
    start,
)


def _run(*events: UnitStarted | UnitFinished, now: float = 100.0) -> ProgressState:
    state = start("dbt build (deploy-build)", "built", now)
    for event in events:
        state = advance(state, event)
    return state


def test_advance_counts_each_outcome_and_tracks_the_node_running_now() -> None:
    state = _run(
        UnitStarted("model.a", "model a", total=5),
        UnitFinished("model.a", "ok", total=5),
        UnitStarted("test.b", "test b", total=5),
        UnitFinished("test.b", "failed"),
        UnitStarted("test.c", "test c", total=5),
        UnitFinished("test.c", "warned"),
        UnitFinished("model.d", "skipped", total=5),
        UnitStarted("model.e", "model e", total=5),
    )
    assert (state.total, state.done, state.failed, state.warned, state.skipped) == (5, 4, 1, 1, 1)
    assert state.current == "model e"
    assert state.finished == {"model.a", "test.b", "test.c", "model.d"}


def test_a_node_reported_twice_counts_once() -> None:
    state = _run(
        UnitStarted("test.b", "test b", total=2),
        UnitFinished("test.b", "failed"),
        UnitFinished("test.b", "failed"),
        UnitStarted("test.b", "test b"),
    )
    assert (state.done, state.failed, state.running) == (1, 1, ())


def test_several_running_nodes_show_the_latest_and_how_many_more() -> None:
    state = _run(UnitStarted("a", "model a"), UnitStarted("b", "model b"), UnitStarted("c", "model c"))
    assert state.current == "model c (+2)"
    assert _run().current is None


def test_estimate_uses_the_previous_run_times_of_the_nodes_not_finished_yet() -> None:
    previous = PreviousRun({"model.a": 1.0, "model.big": 9.0, "test.c": 2.0}, elapsed=24.0)
    state = _run(UnitStarted("model.a", "model a", total=3), UnitFinished("model.a", "ok"))
    # two left, at the mean of big (9 s) and c (2 s), times the wall factor 24 / 12
    assert estimate_left(state, 101.0, previous) == pytest.approx(2 * 5.5 * 2.0)


def test_estimate_falls_back_to_this_runs_pace() -> None:
    state = _run(UnitStarted("a", "model a", total=4), UnitFinished("a", "ok"))
    assert estimate_left(state, 110.0) == pytest.approx(30.0)
    # every node the previous run knew is done: its times say nothing about the rest
    assert estimate_left(state, 110.0, PreviousRun({"a": 1.0})) == pytest.approx(30.0)
    assert estimate_left(state, 110.0, PreviousRun()) == pytest.approx(30.0)


def test_estimate_is_unknown_without_a_total_or_before_the_first_node_ends() -> None:
    assert estimate_left(_run(), 110.0) is None
    assert estimate_left(_run(UnitStarted("a", "model a", total=4)), 110.0) is None
    done = _run(UnitStarted("a", "model a", total=1), UnitFinished("a", "ok"))
    assert estimate_left(done, 110.0) == 0.0


def test_wall_factor_is_one_without_a_previous_elapsed_time_or_any_busy_time() -> None:
    assert PreviousRun({"a": 2.0}).wall_factor() == 1.0
    assert PreviousRun({"a": 0.0}, elapsed=5.0).wall_factor() == 1.0
    assert PreviousRun({"a": 2.0, "b": 2.0}, elapsed=2.0).wall_factor() == 0.5


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(-1, "0s"), (0, "0s"), (42.9, "42s"), (60, "1m00s"), (372, "6m12s"), (3600, "1h00m"), (3780, "1h03m")],
)
def test_format_elapsed(seconds: float, text: str) -> None:
    assert format_elapsed(seconds) == text


def test_status_line_shows_counts_problems_elapsed_estimate_and_the_running_node() -> None:
    previous = PreviousRun({"a": 10.0, "b": 10.0, "c": 10.0, "d": 10.0})
    state = _run(
        UnitStarted("a", "model a", total=4),
        UnitFinished("a", "failed"),
        UnitFinished("b", "warned"),
        UnitFinished("c", "skipped"),
        UnitStarted("d", "model d"),
    )
    assert (
        render_status(state, 141.0, previous)
        == "3/4, 1 failed, 1 warned, 1 skipped, 41s elapsed, ~10s left, now model d"
    )


def test_status_line_before_the_total_is_known_and_when_all_is_done() -> None:
    assert render_status(_run(), 103.0) == "0/?, 0 failed, 3s elapsed"
    done = _run(UnitStarted("a", "model a", total=1), UnitFinished("a", "ok"))
    assert render_status(done, 172.0) == "1/1, 0 failed, 1m12s elapsed"


def test_heartbeat_and_summary_lines() -> None:
    state = _run(UnitStarted("a", "model a", total=1000))
    state = replace(state, done=340, failed=2)
    assert render_heartbeat(state, 472.0) == "built 340/1000, 2 failed, 6m12s"
    assert render_summary(state, 472.0) == "**dbt build (deploy-build)**: built 340/1000, 2 failed, 6m12s"


def test_heartbeat_is_due_every_interval_from_the_start_with_an_injected_clock() -> None:
    beat = Heartbeat(started_at=1000.0, interval=30.0)
    times = [1000.0, 1010.0, 1029.9, 1030.0, 1031.0, 1059.9, 1060.0, 1200.0, 1210.0]
    assert [t for t in times if beat.due(t)] == [1030.0, 1060.0, 1200.0]
    assert beat.last == 1200.0
