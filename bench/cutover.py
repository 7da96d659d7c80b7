"""Benchmark 1: cost of the cutover step as the model count grows, on the local engine.

For each N a fresh DuckLake warehouse gets N tables in ``X__BLUE`` and ``X__GREEN``; the real cutover step
from ``cutover_steps`` (one transaction re-pointing N consumer views) then flips the colours ``repeats``
times. Next to it: how many statements the cutover is on each engine. On Snowflake the cutover is one
``ALTER SCHEMA … SWAP`` per consumer schema whatever N (the N views are prepared beforehand in a shadow
schema, while readers still see the old colour).
"""

from __future__ import annotations

from pathlib import Path

from bench.measure import Say, median, ms, ratio, silent, timed
from bench.results import BenchResult, Ratio, Table
from bench.warehouse import (
    create_colour_tables,
    cutover_step,
    model_names,
    published,
    run_step,
    temp_engine,
    view_colour,
)
from pipelineops.plan.bluegreen_swap import cutover_steps
from pipelineops.plan.history import COLOURS, Colour, other
from pipelineops.plan.sql import SNOWFLAKE

NAME = "cutover"
SIZES = (5, 50, 500)
REPEATS_FULL = 11
REPEATS_QUICK = 3


def snowflake_counts(n: int) -> tuple[int, int]:
    """(statements of the Snowflake cutover step, statements that prepare its shadow schema) for N models."""
    names = model_names(n)
    steps = cutover_steps(
        dialect=SNOWFLAKE,
        database="ANALYTICS",
        colour="GREEN",
        consumer_schemas=("X",),
        published=published(names),
        existing_views={"X": names},
        why="benchmark",
    )
    by_name = {s.name: s for s in steps}
    return len(by_name["cutover"].sql), len(by_name["prepare-shadow"].sql)


def measure_one(n: int, repeats: int, *, workdir: Path | None = None, say: Say = silent) -> dict[str, float]:
    """Seconds of each timed cutover of N views, after an untimed first publish."""
    names = model_names(n)
    pub = published(names)
    steps = {c: cutover_step(c, pub) for c in COLOURS}
    with temp_engine(workdir) as eng:
        say(f"N={n}: creating {2 * n} tables")
        create_colour_tables(eng, names)
        run_step(eng, steps["BLUE"])  # first publish creates the views: not what a deploy repeats
        colour: Colour = "BLUE"
        times: list[float] = []
        for _ in range(repeats):
            colour = other(colour)
            times.append(timed(lambda c=colour: run_step(eng, steps[c])))  # type: ignore[misc]
        seen = {view_colour(eng, names[0]), view_colour(eng, names[-1])}
    say(f"N={n}: median {ms(median(times))} ms over {repeats} cutovers")
    return {
        "median_s": median(times),
        "min_s": min(times),
        "max_s": max(times),
        "statements": float(len(steps["BLUE"].sql)),
        "readers_see_last_colour": float(seen == {colour}),
    }


def measure_cutover(
    sizes: tuple[int, ...] = SIZES,
    repeats: int = REPEATS_FULL,
    *,
    workdir: Path | None = None,
    say: Say = silent,
) -> BenchResult:
    measured = {n: measure_one(n, repeats, workdir=workdir, say=say) for n in sizes}
    rows = []
    for n, m in measured.items():
        sf_cutover, sf_shadow = snowflake_counts(n)
        rows.append(
            (
                n,
                ms(m["median_s"]),
                ms(m["min_s"]),
                ms(m["max_s"]),
                round(m["median_s"] * 1000 / n, 3),
                int(m["statements"]),
                sf_cutover,
                sf_shadow,
            )
        )
    lo, hi = min(sizes), max(sizes)
    sf_lo, sf_hi = snowflake_counts(lo)[0], snowflake_counts(hi)[0]
    duck_lo, duck_hi = int(measured[lo]["statements"]), int(measured[hi]["statements"])
    ratios = (
        Ratio(
            f"t({hi})/t({lo})",
            ratio(measured[hi]["median_s"], measured[lo]["median_s"]),
            f"local cutover time grows with the model count ({hi / lo:g}x the models); "
            "below that factor = a fixed per-transaction cost dominates",
        ),
        Ratio(
            f"duckdb statements ({hi})/({lo})",
            ratio(duck_hi, duck_lo),
            "one CREATE OR REPLACE VIEW per model plus one CREATE SCHEMA per consumer schema",
        ),
        Ratio(
            f"snowflake cutover statements ({hi})/({lo})",
            ratio(sf_hi, sf_lo),
            "must be 1.00: one ALTER SCHEMA … SWAP per consumer schema, whatever the model count",
        ),
    )
    return BenchResult(
        name=NAME,
        title="Cutover cost vs model count (local engine)",
        params={"sizes": ",".join(map(str, sizes)), "repeats per size": repeats, "consumer schemas": 1},
        tables=(
            Table(
                "One cutover (one transaction) flipping the colours of N consumer views",
                (
                    "N models",
                    "median ms",
                    "min ms",
                    "max ms",
                    "median ms per view",
                    "duckdb cutover statements",
                    "snowflake cutover statements",
                    "snowflake shadow-prep statements",
                ),
                tuple(rows),
            ),
        ),
        ratios=ratios,
        checks={
            "snowflake cutover statements constant": len({r[6] for r in rows}) == 1,
            "views read the last published colour": all(
                m["readers_see_last_colour"] for m in measured.values()
            ),
        },
        notes=(
            "Each N runs in its own fresh warehouse; the first publish (which creates the views) is not timed.",
            "Snowflake counts come from the same plan function (cutover_steps) rendered for Snowflake: the "
            "shadow-prep statements run before the cutover, while readers still see the previous colour.",
        ),
    )
