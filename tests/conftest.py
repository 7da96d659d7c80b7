"""How `make test` (``pytest -n 2 --dist loadfile``) hands test files to its workers.

pytest-xdist's ``loadfile`` keeps each file on one worker (module fixtures are built once, tests of a file
run in file order) but queues the files by their number of tests, so the slow one-test end-to-end files
(a whole adoption guide, a chaos walk, an act run) came last, and one worker finished them alone while the
other sat idle. Here the files are queued slowest first: the end-to-end directories first, the files
measured slowest at their head, and the many quick unit files last, where they even out the two workers.

A file in ``PER_TEST`` has no module-scoped fixture and no test that depends on another: its tests are
queued one by one, so its long tests can run on both workers at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

# Measured slowest first (seconds of one worker, `--durations`); a stale entry only changes the order.
SLOWEST = (
    "tests/e2e/test_slim_deploy.py",
    "tests/e2e/test_deploy_chaos.py",
    "tests/e2e/test_pr_ci.py",
    "tests/e2e/test_rollback.py",
    "tests/e2e/test_parity_check.py",
    "tests/e2e/test_state_machine.py",
    "tests/e2e/test_bluegreen_swap.py",
    "tests/e2e/test_freshness.py",
    "tests/e2e/test_backfill.py",
    "tests/e2e/test_chaos_walk.py",
    "tests/e2e/test_slim_ci_first_pr.py",
    "tests/e2e/test_adoption_guide.py",
    "tests/e2e/test_anomaly_audit.py",
)
# Then every other file of these directories, in their queue order.
SLOW_DIRS = ("tests/e2e/", "tests/e2e_snowflake/", "tests/integration/actions/")
PER_TEST = frozenset(
    {"tests/e2e/test_deploy_chaos.py", "tests/e2e/test_state_machine.py", "tests/e2e/test_doctor.py"}
)


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def unit_of(nodeid: str) -> str:
    """The unit of work a test is queued in: its file, or the test itself for a file in ``PER_TEST``."""
    path = file_of(nodeid)
    return nodeid if path in PER_TEST else path


def slowest_first(units: Iterable[str]) -> list[str]:
    """Units in queue order: those of ``SLOWEST`` in its order, then those of ``SLOW_DIRS``, then the
    rest; the given order is kept within each tier."""

    def rank(unit: str) -> tuple[int, int]:
        path = file_of(unit)
        if path in SLOWEST:
            return (0, SLOWEST.index(path))
        if path.startswith(SLOW_DIRS):
            return (1, 0)
        return (2, 0)

    return sorted(units, key=rank)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling  # type: ignore[import-untyped]

    class SlowestFirst(LoadFileScheduling):  # type: ignore[misc]
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            if not self.ordered:
                queue = dict(self.workqueue)
                self.workqueue.clear()
                for unit in slowest_first(queue):
                    self.workqueue[unit] = queue[unit]
                self.ordered = True
            super()._assign_work_unit(node)

    return SlowestFirst(config, log)
