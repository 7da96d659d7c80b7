"""``python -m bench [NAME] [--quick] [--only NAME] [--sizes 50,200] [--out DIR]``: run the benchmarks and
merge their results into ``latest.json``/``latest.md`` (entries of benchmarks not run are kept)."""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.isolate import run_isolated
from bench.machine import load_average, machine_info
from bench.measure import progress
from bench.results import write
from bench.suite import BENCHMARKS

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter phases; skips pipeline")
    parser.add_argument("name", nargs="?", choices=sorted(BENCHMARKS), help="run one benchmark (as --only)")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), help="run one benchmark")
    parser.add_argument(
        "--sizes", default="", help="scale only: model counts to run, e.g. 50,200 (default: 50,200,1000)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"results folder (default: {RESULTS})")
    args = parser.parse_args(argv)
    args.only = args.only or args.name
    sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    started = time.perf_counter()
    run: dict[str, object] = {
        "mode": "quick" if args.quick else "full",
        "only": args.only,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
    }
    names = [args.only] if args.only else list(BENCHMARKS)
    results = []
    with tempfile.TemporaryDirectory(prefix="pipelineops-bench-") as tmp:
        for name in names:
            print(f"== {name} ==", file=sys.stderr, flush=True)
            title, runner = BENCHMARKS[name]
            if name == "scale" and sizes:
                runner = functools.partial(runner, sizes=sizes)  # type: ignore[call-arg]
            results.append(run_isolated(name, title, runner, args.quick, Path(tmp), progress(name)))
    machine = run["machine"]
    assert isinstance(machine, dict)
    machine["load average at end (1/5/15 min)"] = load_average()
    run["duration_s"] = round(time.perf_counter() - started, 1)
    print(write(args.out, run, tuple(results)))
    broken = [r.name for r in results if r.checks.get("benchmark failed") or (r.skipped and r.checks)]
    if broken:
        print(f"benchmarks that did not finish: {', '.join(broken)}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
