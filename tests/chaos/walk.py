"""A seeded random walk over deploy, backfill, rollback and restore on the local engine, with kills.

Each step is one of: an operation run to its end; an operation SIGKILLed at a random moment and then
re-run with the same id until it converges; two operations started at once; a deploy paused between its
preflight and its lock while another operation runs; a re-run of an operation that already ended. Every
operation is a real ``pipelineops`` child process with real dbt. After every step the invariants are
checked (``check``); a broken one is a violation. ``make chaos`` runs a long walk and writes the counts
to ``bench/results/chaos.json``; the test suite runs a short one.

Invariants after every step (nothing running):
1. every consumer view reads one colour, and every published relation is readable (one complete colour);
2. the journal's live publication is that colour, and the build it serves is the top of an independent
   model of the good builds (deploys push; a rollback to T pops down to T);
3. no rollback re-published a build that an earlier rollback removed (T was good when it ran);
4. the previous good build's tables still exist unless a later build of its colour was started;
5. the deploy lock is free, and no step of any operation is left open;
6. a re-run of an ended operation changes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipelineops.engines.duckdb import LocalEngine
from pipelineops.plan import history

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "tests" / "fixtures" / "dbt_chaos"
RELATIONS = {"daily", "numbers", "squares"}
STATE = (
    'SELECT * FROM lake."PIPELINEOPS"."DEPLOY_STATE" ORDER BY coalesce(finished_at, started_at), started_at'
)


@dataclass
class Counts:
    seed: int
    steps: int = 0
    operations: int = 0
    kills: int = 0
    concurrent: int = 0
    paused: int = 0
    reruns: int = 0
    invariant_checks: int = 0
    violations: list[str] = field(default_factory=list)
    exit_codes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Walk:
    def __init__(self, root: Path, seed: int, log: list[str] | None = None) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.counts = Counts(seed)
        self.ended: list[tuple[str, ...]] = []  # argv of operations that ended (for re-runs)
        self.n = 0
        self.log = log if log is not None else []

    # -- running operations ----------------------------------------------------------------------
    def _argv(self, kind: str) -> tuple[str, ...]:
        self.n += 1
        reason = ("--reason", f"chaos {self.n}")
        if kind == "deploy":
            return (
                "bluegreen-swap",
                "--env",
                "prod",
                "--deploy-id",
                f"d{self.n}",
                "--git-sha",
                f"{self.n:040x}",
            )
        if kind == "backfill":
            return (
                "backfill", "--env", "prod", "--deploy-id", f"b{self.n}", "--git-sha", f"{self.n:040x}",
                "--model", "daily", "--start", "2026-10-01", "--end", "2026-11-01",
            )  # fmt: skip
        if kind == "rollback":
            return ("rollback", "--env", "prod", "--rollback-id", f"r{self.n}", *reason)
        return (
            "rollback", "--env", "prod", "--mode", "time-travel", "--model", "squares",
            "--offset", str(-self.rng.randint(1, 120)), "--rollback-id", f"t{self.n}", *reason,
        )  # fmt: skip

    def _start(self, argv: tuple[str, ...], extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        self.counts.operations += 1
        env = {**os.environ, "USER": "chaos", **(extra_env or {})}
        env.pop("GITHUB_RUN_ID", None)
        return subprocess.Popen(
            [sys.executable, "-m", "pipelineops.cli", *argv, "--config", str(self.root / "pipelineops.yml")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def _wait(self, proc: subprocess.Popen[str], argv: tuple[str, ...]) -> int:
        out, err = proc.communicate(timeout=900)
        code = proc.returncode
        self.counts.exit_codes[str(code)] = self.counts.exit_codes.get(str(code), 0) + 1
        if code not in (0, 1, 2):
            self.counts.violations.append(f"{' '.join(argv)} exited {code}: {(out + err)[-600:]}")
        self.log.append(f"{' '.join(argv[:1] + argv[-4:])} -> {code}")
        return code

    def run(self, argv: tuple[str, ...]) -> int:
        code = self._wait(self._start(argv), argv)
        self._ended(argv, code)
        return code

    def _ended(self, argv: tuple[str, ...], code: int) -> None:
        """Remember an operation that ended, for re-runs: a finished one, or a rollback or restore that
        was refused (a deploy that failed may be retried under its id; it is no re-run check)."""
        if code == 0 or (code == 1 and argv[0] == "rollback"):
            self.ended.append(argv)

    def converge(self, argv: tuple[str, ...]) -> None:
        """Re-run a killed operation with the same id until it ends (it must, within a few tries)."""
        for _ in range(4):
            code = self._wait(self._start(argv), argv)
            if code in (0, 1):
                self._ended(argv, code)
                return
        self.counts.violations.append(f"{' '.join(argv)} did not converge after a kill")

    # -- the steps -------------------------------------------------------------------------------
    def _kind(self) -> str:
        return self.rng.choices(["deploy", "rollback", "restore", "backfill"], [5, 3, 1, 1])[0]

    def step(self) -> None:
        self.counts.steps += 1
        action = self.rng.choices(["run", "kill", "concurrent", "pause", "rerun"], [4, 4, 1, 1, 2])[0]
        if action == "rerun" and self.ended:
            self.counts.reruns += 1
            argv = self.rng.choice(self.ended)
            before = self._observed()
            code = self._wait(self._start(argv), argv)
            if self._observed() != before:
                self.counts.violations.append(f"re-run of {' '.join(argv)} (exit {code}) changed production")
        elif action == "kill":
            self.counts.kills += 1
            argv = self._argv(self._kind())
            proc = self._start(argv)
            time.sleep(self.rng.uniform(0.2, 12.0))
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=60)
            self.log.append(f"killed {' '.join(argv[:1] + argv[-4:])}")
            self.converge(argv)
        elif action == "concurrent":
            self.counts.concurrent += 1
            first, second = self._argv(self._kind()), self._argv(self._kind())
            a = self._start(first)
            time.sleep(self.rng.uniform(0.0, 8.0))
            b = self._start(second)
            for proc, argv in ((a, first), (b, second)):
                self._ended(argv, self._wait(proc, argv))
        elif action == "pause":
            self.counts.paused += 1
            go = self.root / f"go-{self.n}"
            paused = self._argv("deploy")
            proc = self._start(paused, {"PIPELINEOPS_CHAOS_PAUSE": f"before-lock:@{go}"})
            time.sleep(self.rng.uniform(3.0, 10.0))
            self.run(self._argv(self._kind()))
            go.touch()
            self._ended(paused, self._wait(proc, paused))
        else:
            self.run(self._argv(self._kind()))
        self.check()

    # -- invariants -------------------------------------------------------------------------------
    def _observed(self) -> tuple[str | None, frozenset[str]]:
        eng = LocalEngine(self.root / "warehouse")
        try:
            serving = history.lineage([dict(r) for r in eng.query(STATE)]).serving
            return (serving.deploy_id if serving else None, frozenset(_view_colours(eng)))
        finally:
            eng.close()

    def check(self) -> None:
        self.counts.invariant_checks += 1
        bad = self.counts.violations
        eng = LocalEngine(self.root / "warehouse")
        try:
            if not _schemas(eng) & {"PIPELINEOPS"}:
                return  # nothing deployed yet
            rows = [dict(r) for r in eng.query(STATE)]
            stack: list[str] = []
            colour_of: dict[str, str] = {}
            for r in rows:  # an independent model of the good builds, from the finished operations
                if r["step"] == "cutover" and r["status"] == "succeeded" and r["kind"] == "deploy":
                    colour_of[str(r["deploy_id"])] = str(r["colour_to"])
                    stack = [d for d in stack if d != r["deploy_id"]] + [str(r["deploy_id"])]
                elif r["step"] == "cutover" and r["status"] == "succeeded" and r["kind"] == "rollback":
                    target = history.served_by(r.get("detail"))
                    if target not in stack:
                        bad.append(f"{r['deploy_id']} re-published {target}, which was not a good build")
                        continue
                    while stack[-1] != target:
                        stack.pop()
            live = history.live(rows)
            colours = _view_colours(eng)
            if live is None:
                if colours:
                    bad.append(f"views read {colours} but the journal has no publication")
                return
            if colours != {live.colour}:
                bad.append(f"views read {sorted(colours)}, the journal says {live.colour} is live")
            if not stack or colour_of[stack[-1]] != live.colour:
                bad.append(f"the good-build model {stack[-3:]} does not serve the live colour {live.colour}")
            serving = history.lineage(rows).serving
            if serving is None or stack[-1:] != [serving.deploy_id]:
                bad.append(f"journal lineage serves {serving}, the model {stack[-1:]}")
            views = {str(r["name"]).lower() for r in eng.query(_VIEWS)}
            if views != RELATIONS:
                bad.append(f"consumer views {sorted(views)} are not the complete publication")
            for name in views:
                eng.query(f'SELECT count(*) FROM lake."MARTS"."{name}"')  # readable, or it raises
            if len(stack) >= 2:
                prev = stack[-2]
                pub = history.deploy_publication(rows, prev)
                if pub is not None and history.rebuilt_since(rows, pub) is None:
                    tables = {
                        str(r["name"]).lower()
                        for r in eng.query(_TABLES.format(schema=f"MARTS__{colour_of[prev]}"))
                    }
                    if not tables >= RELATIONS:
                        bad.append(f"previous good build {prev} lost tables: {sorted(RELATIONS - tables)}")
            holder = eng.query('SELECT deploy_id FROM lake."PIPELINEOPS"."DEPLOY_LOCK"')
            if holder and holder[0]["deploy_id"] is not None:
                bad.append(f"the lock is held by {holder[0]['deploy_id']} with nothing running")
            for op in {str(r["deploy_id"]) for r in rows}:
                if history.unfinished_steps(rows, op):
                    bad.append(f"{op} left steps open: {history.unfinished_steps(rows, op)}")
        except Exception as exc:
            bad.append(f"invariant check failed to run: {exc}")
        finally:
            eng.close()


_VIEWS = "SELECT view_name AS name FROM duckdb_views() WHERE database_name = 'lake' AND schema_name = 'MARTS'"
_TABLES = (
    "SELECT table_name AS name FROM information_schema.tables WHERE table_catalog = 'lake' "
    "AND table_schema = '{schema}' AND table_type <> 'VIEW'"
)


def _schemas(eng: LocalEngine) -> set[str]:
    rows = eng.query(
        "SELECT schema_name AS name FROM information_schema.schemata WHERE catalog_name = 'lake'"
    )
    return {str(r["name"]).upper() for r in rows}


def _view_colours(eng: LocalEngine) -> set[str]:
    rows = eng.query("SELECT sql FROM duckdb_views() WHERE database_name = 'lake' AND schema_name = 'MARTS'")
    return {c for r in rows for c in ("BLUE", "GREEN") if f"__{c}" in str(r["sql"]).upper()}


def workspace(tmp: Path) -> Path:
    from tests.e2e.workspace import make_workspace

    return make_workspace(tmp, PROJECT)


def walk(root: Path, *, seed: int, operations: int, log: list[str] | None = None) -> Counts:
    w = Walk(root, seed, log)
    started = time.monotonic()
    w.run(w._argv("deploy"))  # production exists before the chaos starts
    w.check()
    while w.counts.operations < operations:
        w.step()
    w.counts.seconds = round(time.monotonic() - started, 1)
    return w.counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--operations", type=int, default=300)
    p.add_argument("--seed", type=int, default=20261206)
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "chaos.json")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        log: list[str] = []
        counts = walk(workspace(Path(tmp)), seed=args.seed, operations=args.operations, log=log)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(asdict(counts), indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in asdict(counts).items() if k != "violations"}))
    for v in counts.violations:
        print("VIOLATION:", v)
    return 1 if counts.violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
