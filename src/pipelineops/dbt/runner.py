"""Run dbt as a subprocess of the same Python environment, streaming its log lines.

A subprocess (not the in-process ``dbtRunner``) keeps dbt's global state, logging and DuckDB instance out
of ours, lets the local engine's single-process lock be released cleanly, and makes a killed deploy
behave like a killed CI job.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pipelineops.dbt.events import LogLine, parse_line
from pipelineops.errors import UserError
from pipelineops.report.progress import ProgressEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DbtInvocation:
    args: tuple[str, ...]
    returncode: int
    target_path: Path
    output_tail: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def run_results(self) -> dict[str, object] | None:
        path = self.target_path / "run_results.json"
        if not path.is_file():
            return None
        data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
        return data


def dbt_executable() -> list[str]:
    """dbt from the environment pipelineops runs in."""
    here = Path(sys.executable).parent / "dbt"
    if here.is_file():
        return [str(here)]
    found = shutil.which("dbt")
    if found:
        return [found]
    raise UserError(
        "dbt is not installed in this environment",
        fix="install pipelineops with its pinned requirements: pip install -r requirements/runtime.txt",
    )


@dataclass(frozen=True)
class DbtRunner:
    project_dir: Path
    profiles_dir: Path
    target: str
    env: Mapping[str, str]
    target_path: Path
    log_path: Path

    def command(self, args: Sequence[str]) -> list[str]:
        return [
            *dbt_executable(),
            *args,
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.profiles_dir),
            "--target",
            self.target,
            "--target-path",
            str(self.target_path),
            "--log-path",
            str(self.log_path),
        ]

    def run(
        self,
        args: Sequence[str],
        *,
        on_line: Callable[[str], None] | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
        on_tick: Callable[[], None] | None = None,
        tick_seconds: float = 1.0,
    ) -> DbtInvocation:
        """Run ``dbt <args>`` and return how it ended; dbt's own failures are not raised here.

        With ``on_event``, dbt logs JSON to stdout: ``on_line`` still gets each event's text line and
        ``on_event`` the node progress read from its fields. ``on_tick`` is called about every
        ``tick_seconds``, also while dbt is quiet (a long node), so that progress can redraw or beat.
        """
        if not (self.project_dir / "dbt_project.yml").is_file():
            raise UserError(
                f"no dbt project at {self.project_dir} (dbt_project.yml missing)",
                fix="set dbt.project_dir in pipelineops.yml to the folder holding dbt_project.yml",
            )
        self.target_path.mkdir(parents=True, exist_ok=True)
        self.log_path.mkdir(parents=True, exist_ok=True)
        structured = on_event is not None
        cmd = self.command(args) + (json_log_flags(args) if structured else [])
        env = {
            **os.environ,
            **self.env,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_USE_COLORS": "false",
            "NO_COLOR": "1",
        }
        log.info("running: dbt %s", " ".join(args))
        tail: list[str] = []
        with subprocess.Popen(
            cmd,
            cwd=self.project_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        ) as proc:
            assert proc.stdout is not None
            for raw in _lines(proc.stdout, on_tick, tick_seconds):
                parsed = parse_line(raw) if structured else LogLine((raw,))
                for line in parsed.text:
                    tail.append(line)
                    del tail[:-200]
                    if on_line is not None:
                        on_line(line)
                if parsed.event is not None and on_event is not None:
                    on_event(parsed.event)
            returncode = proc.wait()
        return DbtInvocation(tuple(args), returncode, self.target_path, tuple(tail))


def _given(args: Sequence[str], flag: str) -> bool:
    return any(a == flag or a.startswith(flag + "=") for a in args)


def json_log_flags(args: Sequence[str]) -> list[str]:
    """``--log-format json`` for the console, unless the caller chose a format; the file log keeps dbt's
    default (``debug``), which ``--log-format json`` would otherwise change, unless the caller chose one."""
    if _given(args, "--log-format"):
        return []
    file_format = [] if _given(args, "--log-format-file") else ["--log-format-file", "debug"]
    return ["--log-format", "json", *file_format]


def _lines(stream: IO[str], on_tick: Callable[[], None] | None, tick_seconds: float) -> Iterator[str]:
    """The lines of ``stream`` without their newline; ``on_tick()`` while none arrives for a while."""
    if on_tick is None:
        for raw in stream:
            yield raw.rstrip("\n")
        return
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        try:
            for raw in stream:
                lines.put(raw.rstrip("\n"))
        finally:
            lines.put(None)

    reader = threading.Thread(target=pump, name="dbt-output", daemon=True)
    reader.start()
    next_tick = time.monotonic() + tick_seconds
    while True:
        try:
            line = lines.get(timeout=max(next_tick - time.monotonic(), 0.0))
        except queue.Empty:
            pass
        else:
            if line is None:
                break
            yield line
        if time.monotonic() >= next_tick:
            on_tick()
            next_tick = time.monotonic() + tick_seconds
    reader.join()


def vars_arg(values: Mapping[str, object]) -> str:
    """dbt ``--vars`` as compact JSON (valid YAML), keys sorted so plans are stable."""
    return json.dumps(dict(values), sort_keys=True, separators=(",", ":"))
