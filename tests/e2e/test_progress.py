"""Progress of a real dbt build on the local engine, as each kind of output shows it.

One workspace (``tests/fixtures/dbt_tiny`` plus a failing test on ``numbers``, so ``squares`` is skipped)
deploys four times, each deploy stopped by that test: through a pipe, with ``--json`` on a terminal, in
GitHub Actions, then on a terminal, which by then has the previous runs' node timings for its estimate.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import struct
import termios
from pathlib import Path

import pytest
from tests.e2e.workspace import REPO, cli, make_workspace

from pipelineops.cli import main

pytestmark = [pytest.mark.e2e]

FAILING_TEST = "data_tests: [unique, not_null, {accepted_values: {arguments: {values: [1, 2]}}}]"
STATUS = re.compile(r"(\d+)/(\d+|\?), (\d+) failed(?:, (\d+) skipped)?")


class _Tty(io.StringIO):
    """A terminal of 120 columns: its size is read from a real pty, its text kept here."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd


def _tty_cli(root: Path, *args: str) -> tuple[int, str]:
    leader, follower = os.openpty()
    try:
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        out = _Tty(follower)
        environ = {"PATH": "/usr/bin:/bin", "HOME": str(root), "USER": "tester", "TERM": "xterm"}
        code = main(
            [*args, "--config", str(root / "pipelineops.yml")], environ=environ, stdout=out, stderr=out
        )
    finally:
        os.close(leader)
        os.close(follower)
    return code, out.getvalue()


def _shown(text: str) -> list[tuple[int, int, int, int]]:
    """The counts the live line showed once dbt said the total: (done, total, failed, skipped), in order."""
    seen: list[tuple[int, int, int, int]] = []
    for frame in re.split(r"[\r\n]", text):
        m = STATUS.search(frame)
        if m and m.group(2) != "?":
            counts = (int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4) or 0))
            if not seen or seen[-1] != counts:
                seen.append(counts)
    return seen


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("progress"), REPO / "tests" / "fixtures" / "dbt_tiny")
    schema = root / "dbt" / "models" / "marts" / "_marts.yml"
    schema.write_text(
        schema.read_text(encoding="utf-8").replace("data_tests: [unique, not_null]", FAILING_TEST),
        encoding="utf-8",
    )
    return root


def test_a_real_build_shows_its_counts_only_where_a_person_watches(workspace: Path, tmp_path: Path) -> None:
    # a pipe: dbt's telling lines, no live line
    code, out, err = cli(workspace, "bluegreen-swap", "--env", "prod")
    assert code == 1, out[-3000:] + err
    assert "Done. PASS=3 WARN=0 ERROR=1 SKIP=1" in out
    assert "\r" not in out and not STATUS.search(out)

    # --json on a terminal: only the report
    code, out = _tty_cli(workspace, "bluegreen-swap", "--env", "prod", "--json")
    assert code == 1, out[-3000:]
    assert "\r" not in out and not STATUS.search(out)
    assert json.loads(out[out.index("\n{\n") + 1 :])["conclusion"] == "failure"

    # GitHub Actions: no heartbeat in a build shorter than 30 s; the final counts in the step summary
    summary = tmp_path / "summary.md"
    code, out, err = cli(
        workspace,
        "bluegreen-swap",
        "--env",
        "prod",
        env={
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(tmp_path / "o"),
        },
    )
    assert code == 1, out[-3000:] + err
    assert "::group::dbt build (deploy-build)\n" in out and "(continued)" not in out
    assert "**dbt build (deploy-build)**: built 5/5, 1 failed, 1 skipped, " in summary.read_text(
        encoding="utf-8"
    )

    # a terminal: the live line, node by node
    code, out = _tty_cli(workspace, "bluegreen-swap", "--env", "prod")
    assert code == 1, out[-3000:]
    assert _shown(out) == [
        (0, 5, 0, 0),
        (1, 5, 0, 0),
        (2, 5, 1, 0),
        (3, 5, 1, 0),
        (4, 5, 1, 0),
        (5, 5, 1, 1),
    ]
    frames = re.split(r"[\r\n]", out)
    assert any("now model numbers" in f for f in frames)
    assert any("now test accepted_values_numbers_n" in f for f in frames)
    # the estimate before the first node ends can only come from the previous run's timings
    first = next(f for f in frames if "0/5, 0 failed" in f)
    assert re.search(r"elapsed, ~\d+s left", first), first
    # dbt's telling lines are still printed, above the live line
    assert "Done. PASS=3 WARN=0 ERROR=1 SKIP=1" in out
