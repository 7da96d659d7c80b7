from __future__ import annotations

from tests.unit.report.golden_cases import BASE, BLOCKED, GHA, deployed

from pipelineops.plan import history
from pipelineops.report import advice
from pipelineops.report.error_report import error_report, fix_advice, for_workflow
from pipelineops.report.model import Failure, format_age

TERMINAL = advice.Where("prod")
ACTIONS = advice.where_from(GHA, "prod")


def test_where_is_github_only_in_actions_with_a_repository() -> None:
    assert advice.Where("prod", "https://github.com/acme/dw/actions") == ACTIONS
    assert advice.where_from({"GITHUB_ACTIONS": "true"}, "dev") == advice.Where("dev")
    assert advice.where_from({"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r"}, "dev").actions_url == (
        "https://github.com/o/r/actions"
    )


def test_source_url_needs_repository_and_commit() -> None:
    assert advice.source_url(GHA, "abc") == "https://github.com/acme/dw/blob/abc"
    assert advice.source_url({"GITHUB_REPOSITORY": "o/r"}, "abc") == "https://github.com/o/r/blob/abc"
    assert advice.source_url(GHA, "") is None
    assert advice.source_url({}, "abc") is None


def test_undo_on_a_terminal_is_the_command_naming_the_intact_build() -> None:
    (item,) = advice.deploy_advice(BASE, deploy_id="d-2", published=True, where=TERMINAL)
    assert item.command == 'pipelineops rollback --env prod --to d-1 --reason "..."'
    assert "deploy d-1 (BLUE, git 1111111111aa), which is still intact" in item.text


def test_no_rollback_after_the_first_deploy_or_once_the_colour_was_rebuilt() -> None:
    first = deployed("d-1", "BLUE", 3)
    (item,) = advice.deploy_advice(first, deploy_id="d-1", published=True, where=ACTIONS)
    assert item.level == "warning" and "no earlier good build" in item.text
    target, why = advice.rollback_target([*BASE, *BLOCKED])
    assert target is None and "which deploy d-3 has rebuilt since" in why


def test_a_failed_first_deploy_says_nothing_is_live_and_how_to_retry_on_a_terminal() -> None:
    items = advice.deploy_advice([], deploy_id="d-1", published=False, where=TERMINAL)
    assert [a.text for a in items] == [
        "Nothing was published: prod has no live build yet.",
        "Fix what failed above on the main branch, then run pipelineops bluegreen-swap --env prod again.",
    ]


def test_undo_a_rollback_deploys_the_removed_build_again() -> None:
    d2 = next(p for p in history.publications(BASE) if p.deploy_id == "d-2")
    on_terminal = advice.undo_rollback_advice(removed=d2, where=TERMINAL)
    assert (
        on_terminal.command
        == "git checkout 2222222222bb && pipelineops bluegreen-swap --env prod --allow-rolled-back"
    )
    assert advice.undo_rollback_advice(removed=None, where=ACTIONS).text.startswith(
        "To undo this rollback, deploy again"
    )


def test_for_workflow_phrases_one_pipelineops_call_as_inputs() -> None:
    assert for_workflow("pipelineops rollback --env prod --to d-1 --force-unlock") == (
        "run the rollback workflow with environment: prod, target: d-1, force-unlock: true"
    )
    assert for_workflow("pipelineops status") == "run the status workflow"
    assert for_workflow("dbt build") is None
    assert for_workflow("pipelineops rollback prod") is None
    assert for_workflow("pipelineops rollback --reason 'unclosed") is None


def test_fix_advice_keeps_a_command_to_paste_off_github() -> None:
    assert fix_advice("", on_github=True) == ()
    (item,) = fix_advice("run it:\n  dbt build -s x", on_github=True)
    assert item.text == "Run it:" and item.command == "dbt build -s x"
    (plain,) = fix_advice("pass --to d-1", on_github=False)
    assert plain.text == "Pass --to d-1" and plain.command == ""


def test_error_report_without_production_or_runbook() -> None:
    report = error_report("status", what="bad config", run_url="https://h/r")
    assert report.failures == (Failure("cause", detail="bad config"),)
    assert report.advice == () and report.run_url == "https://h/r"


def test_format_age_in_days() -> None:
    assert [format_age(s) for s in (5, 600, 7200, 3 * 86400)] == [
        "just now",
        "10 min ago",
        "2 h ago",
        "3 d ago",
    ]


def test_a_failed_deploy_that_rebuilt_nothing_warns_of_no_loss() -> None:
    items = advice.deploy_advice(BASE, deploy_id="d-9", published=False, where=ACTIONS)
    assert [a.level for a in items] == ["notice", "notice"]
    assert items[1].text.endswith("then re-run the deploy workflow.")
