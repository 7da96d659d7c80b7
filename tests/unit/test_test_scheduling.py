"""The order `make test` queues test files in (tests/conftest.py): slowest first, quick unit files last."""

from __future__ import annotations

from tests.conftest import slowest_first, unit_of


def test_measured_slow_files_lead_then_end_to_end_files_then_the_rest_in_their_given_order() -> None:
    given = [
        "tests/unit/plan/test_history.py",
        "tests/e2e/test_dry_run.py",
        "tests/unit/test_cli.py",
        "tests/e2e/test_pr_ci.py",
        "tests/integration/actions/test_act.py",
        "tests/e2e/test_bluegreen_swap.py",
    ]
    assert slowest_first(given) == [
        "tests/e2e/test_pr_ci.py",
        "tests/e2e/test_bluegreen_swap.py",
        "tests/e2e/test_dry_run.py",
        "tests/integration/actions/test_act.py",
        "tests/unit/plan/test_history.py",
        "tests/unit/test_cli.py",
    ]


def test_a_file_stays_one_unit_unless_its_tests_are_independent() -> None:
    assert unit_of("tests/e2e/test_pr_ci.py::test_hostile_pr_numbers") == "tests/e2e/test_pr_ci.py"
    assert unit_of("tests/unit/test_cli.py::TestX::test_y") == "tests/unit/test_cli.py"
    chaos = "tests/e2e/test_deploy_chaos.py::test_killed_deploy_converges_on_rerun_from_every_boundary[x]"
    assert unit_of(chaos) == chaos
    assert slowest_first([chaos, "tests/e2e/test_init.py"]) == [chaos, "tests/e2e/test_init.py"]
