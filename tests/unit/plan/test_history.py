"""Reading the DEPLOY_STATE journal: live colour, previous deploy, intact colours, unfinished steps."""

from __future__ import annotations

from collections.abc import Mapping

from pipelineops.plan import history
from pipelineops.plan.history import (
    as_colour,
    deploy_publication,
    live,
    other,
    previous_deploy,
    publications,
    rebuilt_since,
    unfinished_steps,
)

Row = Mapping[str, object]


def deploy(deploy_id: str, colour: str, *, sha: str = "", cutover: str = "succeeded") -> list[Row]:
    """The journal rows of one deploy, the way bluegreen-swap writes them."""
    base = {"deploy_id": deploy_id, "kind": "deploy", "git_sha": sha or f"sha-{deploy_id}", "actor": "ci"}
    steps: list[Row] = [
        {**base, "step": "prepare", "status": "started", "colour_to": colour},
        {**base, "step": "prepare", "status": "succeeded", "colour_to": colour},
        {**base, "step": "build", "status": "started", "colour_to": colour, "started_at": f"{deploy_id}-t0"},
        {**base, "step": "build", "status": "succeeded", "colour_to": colour},
        {**base, "step": "checks", "status": "started", "colour_to": colour},
        {**base, "step": "checks", "status": "succeeded", "colour_to": colour},
        {
            **base,
            "step": "cutover",
            "status": cutover,
            "colour_to": colour,
            "started_at": f"{deploy_id}-t1",
            "finished_at": f"{deploy_id}-t2",
        },
        {**base, "step": "finish", "status": "succeeded", "colour_to": colour},
    ]
    return steps


def rollback(deploy_id: str, colour: str, *, to: str | None = None) -> list[Row]:
    return [
        {
            "deploy_id": deploy_id,
            "kind": "rollback",
            "step": "cutover",
            "status": "succeeded",
            "colour_to": colour,
            "git_sha": None,
            "actor": None,
            "started_at": f"{deploy_id}-t1",
            **({"detail": history.back_to(to)} if to else {}),
        }
    ]


def test_other_and_as_colour() -> None:
    assert (other("BLUE"), other("GREEN")) == ("GREEN", "BLUE")
    assert as_colour("green") == "GREEN"
    assert as_colour("BLUE") == "BLUE"
    assert as_colour(None) is None
    assert as_colour("RED") is None
    assert as_colour("") is None


def test_step_names_are_shared_constants() -> None:
    assert (history.BUILD, history.CUTOVER, history.FINISH) == ("build", "cutover", "finish")


def test_empty_journal_has_no_live_colour() -> None:
    assert publications([]) == []
    assert live([]) is None
    assert previous_deploy([]) is None
    assert deploy_publication([], "d1") is None


def test_live_colour_is_the_last_successful_cutover() -> None:
    rows = deploy("d1", "BLUE") + deploy("d2", "GREEN")
    pub = live(rows)
    assert pub is not None
    assert (pub.deploy_id, pub.kind, pub.colour, pub.git_sha, pub.actor) == (
        "d2",
        "deploy",
        "GREEN",
        "sha-d2",
        "ci",
    )
    assert pub.at == "d2-t2"  # finished_at wins over started_at
    assert rows[pub.index]["step"] == "cutover" and rows[pub.index]["deploy_id"] == "d2"


def test_failed_or_started_cutovers_and_gate_failures_do_not_publish() -> None:
    stopped = [r for r in deploy("d2", "GREEN") if r["step"] not in ("cutover", "finish")]
    crashed = [r for r in deploy("d3", "GREEN", cutover="started")]
    failed = [r for r in deploy("d4", "GREEN", cutover="failed")]
    rows = deploy("d1", "BLUE") + stopped + crashed + failed
    assert [p.deploy_id for p in publications(rows)] == ["d1"]
    assert live(rows).colour == "BLUE"  # type: ignore[union-attr]


def test_cutover_row_without_a_colour_is_ignored() -> None:
    rows = [{"deploy_id": "x", "kind": "deploy", "step": "cutover", "status": "succeeded", "colour_to": None}]
    assert publications(rows) == []


def test_rollback_publication_is_live_and_missing_fields_are_blank() -> None:
    rows = deploy("d1", "BLUE") + deploy("d2", "GREEN") + rollback("r1", "BLUE")
    pub = live(rows)
    assert pub is not None
    assert (pub.deploy_id, pub.kind, pub.colour, pub.git_sha, pub.actor, pub.at) == (
        "r1",
        "rollback",
        "BLUE",
        "",
        "",
        "r1-t1",  # no finished_at: started_at
    )


def test_previous_deploy_is_the_deploy_before_the_live_one_on_the_other_colour() -> None:
    rows = deploy("d1", "BLUE") + deploy("d2", "GREEN") + deploy("d3", "BLUE")
    prev = previous_deploy(rows)
    assert prev is not None and (prev.deploy_id, prev.colour) == ("d2", "GREEN")


def test_previous_deploy_after_a_rollback_never_brings_back_what_it_removed() -> None:
    rows = deploy("d1", "BLUE") + deploy("d2", "GREEN") + rollback("r1", "BLUE")
    assert previous_deploy(rows) is None  # d2 was rolled back: there is nothing earlier that is good
    lin = history.lineage(rows)
    assert [p.deploy_id for p in lin.good] == ["d1"]
    assert dict(lin.removed) == {"d2": "r1"}


def test_no_previous_deploy_after_the_first_one() -> None:
    assert previous_deploy(deploy("d1", "BLUE")) is None


def test_previous_deploy_ignores_rollbacks_as_targets() -> None:
    rows = deploy("d1", "BLUE") + rollback("r1", "GREEN") + deploy("d2", "BLUE")
    prev = previous_deploy(rows)  # the GREEN publication was a rollback of no known build
    assert prev is not None and prev.deploy_id == "d1"


def test_deploy_publication_finds_deploys_only() -> None:
    rows = deploy("d1", "BLUE") + deploy("d2", "GREEN") + rollback("r1", "BLUE")
    pub = deploy_publication(rows, "d1")
    assert pub is not None and pub.colour == "BLUE"
    assert deploy_publication(rows, "r1") is None
    assert deploy_publication(rows, "d9") is None


def test_rebuilt_since_names_the_deploy_that_started_rebuilding_the_colour() -> None:
    rows = deploy("d1", "BLUE") + deploy("d2", "GREEN")
    d1 = deploy_publication(rows, "d1")
    assert d1 is not None
    assert rebuilt_since(rows, d1) is None  # GREEN was built, BLUE is intact
    # d3 starts building BLUE (the idle colour) and dies before its cutover
    rows += [
        r for r in deploy("d3", "BLUE") if r["step"] in ("prepare", "build") and r["status"] == "started"
    ]
    assert rebuilt_since(rows, d1) == "d3"


def test_rebuilt_since_only_looks_after_the_publication() -> None:
    rows = deploy("d1", "BLUE") + deploy("d2", "GREEN") + deploy("d3", "BLUE")
    d3 = deploy_publication(rows, "d3")
    d2 = deploy_publication(rows, "d2")
    assert d3 is not None and d2 is not None
    assert rebuilt_since(rows, d3) is None  # d3's own build came before its cutover
    assert rebuilt_since(rows, d2) is None  # only BLUE was built after d2
    d1 = deploy_publication(rows, "d1")
    assert d1 is not None and rebuilt_since(rows, d1) == "d3"


def test_unfinished_steps_are_started_and_never_ended() -> None:
    rows: list[Row] = [
        *deploy("d1", "BLUE"),
        {"deploy_id": "d2", "step": "prepare", "status": "started"},
        {"deploy_id": "d2", "step": "prepare", "status": "succeeded"},
        {"deploy_id": "d2", "step": "build", "status": "started"},
        {"deploy_id": "d3", "step": "checks", "status": "started"},  # another deploy
        {"deploy_id": "d2", "step": "swap", "status": "succeeded"},  # ended, never started: ignored
    ]
    assert unfinished_steps(rows, "d2") == ["build"]
    assert unfinished_steps(rows, "d1") == []
    assert unfinished_steps(rows, "nobody") == []


def test_unfinished_steps_of_a_resumed_deploy_are_closed_by_abandoned_rows() -> None:
    rows: list[Row] = [
        {"deploy_id": "d2", "step": "build", "status": "started"},
        {"deploy_id": "d2", "step": "build", "status": "abandoned"},
        {"deploy_id": "d2", "step": "build", "status": "started"},
    ]
    assert unfinished_steps(rows, "d2") == ["build"]
    rows.append({"deploy_id": "d2", "step": "build", "status": "succeeded"})
    assert unfinished_steps(rows, "d2") == []


def test_cutover_interrupted_only_when_the_last_cutover_row_of_the_deploy_is_a_start() -> None:
    started = {"deploy_id": "d", "step": "cutover", "status": "started"}
    done = {"deploy_id": "d", "step": "cutover", "status": "succeeded"}
    other = {"deploy_id": "e", "step": "cutover", "status": "started"}
    assert history.cutover_interrupted([started], "d")
    assert not history.cutover_interrupted([started, done], "d")
    assert not history.cutover_interrupted([other], "d")
    assert not history.cutover_interrupted([], "d")


def test_a_rollback_serves_the_build_its_detail_names_else_the_last_build_of_its_colour() -> None:
    rows = deploy("d1", "BLUE") + deploy("d2", "GREEN") + rollback("r1", "BLUE")
    assert publications(rows)[-1].serves == "d1"
    rows = deploy("d1", "BLUE") + deploy("d2", "GREEN") + rollback("r1", "BLUE", to="d1")
    assert publications(rows)[-1].serves == "d1"
    assert history.served_by("back to deploy gh-1.2_x: smoke failed") == "gh-1.2_x"
    assert history.served_by("something else") is None
    assert history.served_by(None) is None


def test_rolling_back_further_with_to_removes_every_later_build() -> None:
    rows = deploy("d1", "BLUE") + deploy("d2", "GREEN") + deploy("d3", "BLUE")
    rows += rollback("r1", "GREEN", to="d2")
    lin = history.lineage(rows)
    assert [p.deploy_id for p in lin.good] == ["d1", "d2"]
    rows += rollback("r2", "BLUE", to="d1")
    lin = history.lineage(rows)
    assert [p.deploy_id for p in lin.good] == ["d1"]
    assert dict(lin.removed) == {"d3": "r1", "d2": "r2"}
    assert lin.serving is not None and lin.serving.deploy_id == "d1"
    assert lin.find("d1") is not None and lin.find("d3") is None
    assert history.Lineage().serving is None


def test_a_deploy_after_a_rollback_continues_the_good_lineage() -> None:
    rows = deploy("d1", "BLUE") + deploy("d2", "GREEN") + rollback("r1", "BLUE", to="d1")
    rows += deploy("d3", "GREEN")
    assert [p.deploy_id for p in history.lineage(rows).good] == ["d1", "d3"]
    prev = previous_deploy(rows)
    assert prev is not None and prev.deploy_id == "d1"


def test_republishing_a_removed_build_makes_it_good_again() -> None:
    rows = deploy("d1", "BLUE") + deploy("d2", "GREEN") + rollback("r1", "BLUE", to="d1")
    rows += rollback("r2", "GREEN", to="d2")  # forced, or an older journal
    lin = history.lineage(rows)
    assert [p.deploy_id for p in lin.good] == ["d2"]
    assert dict(lin.removed) == {"d1": "r2"}
    rows += deploy("d2", "GREEN")  # the same deploy id published again (a resumed cutover)
    assert [p.deploy_id for p in history.lineage(rows).good] == ["d2"]


def test_rolled_back_sha_names_the_deploy_and_the_rollback() -> None:
    rows = deploy("d1", "BLUE", sha="aaa") + deploy("d2", "GREEN", sha="bbb")
    assert history.rolled_back_sha(rows, "bbb") is None
    rows += rollback("r1", "BLUE", to="d1")
    assert history.rolled_back_sha(rows, "bbb") == ("d2", "r1")
    assert history.rolled_back_sha(rows, "aaa") is None
    assert history.rolled_back_sha(rows, "") is None
    assert history.rolled_back_sha(rows, "never-deployed") is None
    rows += deploy("d3", "GREEN", sha="bbb")  # shipped again on purpose: good again
    assert history.rolled_back_sha(rows, "bbb") is None


def test_progress_of_an_unknown_id_is_new() -> None:
    p = history.progress(deploy("d1", "BLUE"), "d9")
    assert p.kind is None and p.finished is None and p.published is None


def test_progress_of_a_finished_deploy() -> None:
    p = history.progress(deploy("d1", "BLUE", sha="aaa"), "d1")
    assert (p.kind, p.git_sha, p.finished, p.cutover_open) == ("deploy", "aaa", "succeeded", None)
    assert p.published is not None and p.published.colour == "BLUE"


def test_progress_of_a_deploy_that_died_between_swaps() -> None:
    rows = [r for r in deploy("d1", "BLUE") if r["step"] not in ("cutover", "finish")]
    rows.append(
        {"deploy_id": "d1", "kind": "deploy", "step": "cutover", "status": "started", "colour_to": "BLUE"}
    )
    rows.append({"deploy_id": "d1", "kind": "deploy", "step": "force-unlock", "status": "succeeded"})
    p = history.progress(rows, "d1")
    assert (p.finished, p.published, p.cutover_open) == (None, None, "BLUE")


def test_progress_of_a_rollback_names_its_target_and_a_retry_is_not_finished() -> None:
    rows: list[Row] = [
        {
            "deploy_id": "r1",
            "kind": "rollback",
            "step": "plan",
            "status": "succeeded",
            "detail": "back to deploy d1",
        },
        {"deploy_id": "r1", "kind": "rollback", "step": "finish", "status": "failed"},
    ]
    rows[-1]["error"] = "nothing earlier that is good"  # type: ignore[index]
    p = history.progress(rows, "r1")
    assert (p.kind, p.target, p.finished, p.error) == (
        "rollback",
        "d1",
        "failed",
        "nothing earlier that is good",
    )
    rows.append({"deploy_id": "r1", "kind": "rollback", "step": "plan", "status": "succeeded"})
    assert history.progress(rows, "r1").finished is None
