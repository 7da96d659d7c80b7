"""Run one benchmark in a child process, so that a crash of the engine is reported instead of ending the run.

DuckDB extensions are native code: a segfault kills the process that loaded them. Each benchmark runs in a
fresh child; when the child dies, the attempt is recorded (with the signal) and the benchmark runs again,
up to ``attempts`` times. The crashes appear in the results next to the numbers.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path

from bench.measure import Say
from bench.results import BenchResult

Runner = Callable[[bool, Path], BenchResult]


def _child(runner: Runner, quick: bool, tmp: Path, conn: Connection) -> None:
    conn.send(runner(quick, tmp))
    conn.close()


def _describe(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exited with code {exitcode} before returning a result"


def run_isolated(
    name: str, title: str, runner: Runner, quick: bool, tmp: Path, say: Say, *, attempts: int = 3
) -> BenchResult:
    ctx = multiprocessing.get_context("spawn")
    crashes: list[str] = []
    for attempt in range(1, attempts + 1):
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(runner, quick, tmp, child), name=f"bench-{name}")
        proc.start()
        child.close()
        try:
            result: BenchResult | None = parent.recv()
        except EOFError:
            result = None
        proc.join()
        parent.close()
        if result is not None and proc.exitcode == 0:
            if not crashes:
                return result
            return replace(
                result,
                checks={**result.checks, "benchmark process crashes": len(crashes)},
                notes=(*result.notes, *(f"Crashed before this result: {c}." for c in crashes)),
            )
        if proc.exitcode is not None and proc.exitcode > 0:  # a Python error (traceback above): no retry
            return BenchResult(
                name=name,
                title=title,
                params={},
                tables=(),
                ratios=(),
                checks={"benchmark failed": True},
                skipped=f"failed: the benchmark process {_describe(proc.exitcode)} (traceback on stderr)",
            )
        crashes.append(f"attempt {attempt}: the benchmark process {_describe(proc.exitcode)}")
        say(crashes[-1] + ("; running it again" if attempt < attempts else ""))
    return BenchResult(
        name=name,
        title=title,
        params={},
        tables=(),
        ratios=(),
        checks={"benchmark process crashes": len(crashes)},
        skipped="; ".join(crashes),
    )
