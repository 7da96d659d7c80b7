"""Benchmark 2: read latency while cutovers flip colours, against the same reads with no cutovers.

Reader threads, each with its own cursor, read every consumer view inside one transaction, over and over.
Each phase runs for ``seconds``: first with nothing else going on, then while the main thread runs the
real cutover step back to back. The phases alternate ``rounds`` times so drift in the machine's load hits
both. A read that sees both colours across its views is a *mixed read*: the cutover promise is that there
are none.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import Say, median, ms, percentile, ratio, silent
from bench.results import BenchResult, Ratio, Table
from bench.warehouse import (
    DB,
    SCHEMA,
    create_colour_tables,
    cutover_step,
    model_names,
    published,
    run_step,
    temp_engine,
)
from pipelineops.engines.duckdb import LocalEngine
from pipelineops.plan.history import Colour, other
from pipelineops.plan.sql import DUCKDB, Relation

NAME = "readers"


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    colours: dict[str, int] = field(default_factory=dict)
    mixed: int = 0
    errors: list[str] = field(default_factory=list)
    cutovers: list[float] = field(default_factory=list)

    def add(self, other_phase: Phase) -> None:
        self.latencies += other_phase.latencies
        for k, v in other_phase.colours.items():
            self.colours[k] = self.colours.get(k, 0) + v
        self.mixed += other_phase.mixed
        self.errors += other_phase.errors
        self.cutovers += other_phase.cutovers


def _reader(
    eng: LocalEngine, views: list[str], stop: threading.Event, out: Phase, lock: threading.Lock
) -> None:
    cur = eng.cursor()
    try:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                cur.execute("BEGIN TRANSACTION")
                seen: set[str] = set()
                for v in views:
                    seen |= {str(r[0]) for r in cur.execute(f"SELECT DISTINCT colour FROM {v}").fetchall()}
                cur.execute("COMMIT")
            except Exception as exc:  # reported, never hidden: a failed read breaks the cutover promise
                with lock:
                    out.errors.append(str(exc).splitlines()[0][:200])
                cur.execute("ROLLBACK")
                continue
            elapsed = time.perf_counter() - t0
            key = "+".join(sorted(seen))
            with lock:
                out.latencies.append(elapsed)
                out.colours[key] = out.colours.get(key, 0) + 1
                out.mixed += len(seen) > 1
    finally:
        cur.close()


def _phase(
    eng: LocalEngine, views: list[str], readers: int, seconds: float, flips: dict[str, object] | None
) -> Phase:
    """One phase; ``flips`` holds the cutover steps and current colour when cutovers run meanwhile."""
    out, lock, stop = Phase(), threading.Lock(), threading.Event()
    threads = [threading.Thread(target=_reader, args=(eng, views, stop, out, lock)) for _ in range(readers)]
    for t in threads:
        t.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if flips is None:
            time.sleep(0.05)
            continue
        colour = other(flips["colour"])  # type: ignore[arg-type]
        t0 = time.perf_counter()
        run_step(eng, flips[colour])  # type: ignore[arg-type]
        out.cutovers.append(time.perf_counter() - t0)
        flips["colour"] = colour
    stop.set()
    for t in threads:
        t.join(timeout=60)
    return out


def measure_readers(
    *,
    models: int = 20,
    rows: int = 1000,
    readers: int = 2,
    seconds: float = 8.0,
    rounds: int = 2,
    workdir: Path | None = None,
    say: Say = silent,
) -> BenchResult:
    names = model_names(models)
    pub = published(names)
    views = [Relation(DB, SCHEMA, n).sql(DUCKDB) for n in names]
    idle, busy = Phase(), Phase()
    with temp_engine(workdir) as eng:
        say(f"creating {2 * models} tables of {rows} rows")
        create_colour_tables(eng, names, rows=rows)
        first: Colour = "BLUE"
        flips: dict[str, object] = {"BLUE": cutover_step("BLUE", pub), "GREEN": cutover_step("GREEN", pub)}
        run_step(eng, flips[first])  # type: ignore[arg-type]
        flips["colour"] = first
        for r in range(1, rounds + 1):
            idle.add(_phase(eng, views, readers, seconds, None))
            say(f"round {r}/{rounds}: {len(idle.latencies)} reads without cutovers so far")
            busy.add(_phase(eng, views, readers, seconds, flips))
            say(f"round {r}/{rounds}: {len(busy.latencies)} reads, {len(busy.cutovers)} cutovers so far")
    rows_out = []
    for label, p in (("no cutovers", idle), ("cutovers running", busy)):
        rows_out.append(
            (
                label,
                len(p.latencies),
                ms(percentile(p.latencies, 50)),
                ms(percentile(p.latencies, 95)),
                ms(percentile(p.latencies, 99)),
                ms(max(p.latencies, default=float("nan"))),
                len(p.cutovers),
                ms(median(p.cutovers)) if p.cutovers else None,
                p.mixed,
                len(p.errors),
                ", ".join(f"{k}: {v}" for k, v in sorted(p.colours.items())),
            )
        )
    p50 = ratio(percentile(busy.latencies, 50), percentile(idle.latencies, 50))
    p95 = ratio(percentile(busy.latencies, 95), percentile(idle.latencies, 95))
    return BenchResult(
        name=NAME,
        title="Reader latency during cutovers (local engine)",
        params={
            "consumer views read per transaction": models,
            "rows per table": rows,
            "reader threads": readers,
            "seconds per phase": seconds,
            "rounds (alternating phases)": rounds,
        },
        tables=(
            Table(
                "Read transactions (every view once) with and without cutovers flipping colours",
                (
                    "phase",
                    "reads",
                    "p50 ms",
                    "p95 ms",
                    "p99 ms",
                    "max ms",
                    "cutovers",
                    "median cutover ms",
                    "mixed reads",
                    "read errors",
                    "colours seen per read",
                ),
                tuple(rows_out),
            ),
        ),
        ratios=(
            Ratio("p50 during/idle", p50, "1.00 = cutovers do not slow readers down at the median"),
            Ratio("p95 during/idle", p95, "tail latency cost of reading while views are re-pointed"),
            Ratio("mixed reads", float(busy.mixed + idle.mixed), "must be 0: no read sees both colours"),
        ),
        checks={
            "mixed reads": busy.mixed + idle.mixed,
            "read errors": len(busy.errors) + len(idle.errors),
            "first read error": next(iter(busy.errors + idle.errors), None),
            "both colours seen during cutovers": {"BLUE", "GREEN"} <= set(busy.colours),
        },
        notes=(
            "Readers and the cutover writer are threads of one process (the local warehouse is single-process); "
            "MVCC isolates each reader's transaction. On a machine with few cores the writer also competes "
            "with the readers for CPU, so the during/idle ratios are an upper bound of the cutover's effect.",
        ),
    )
