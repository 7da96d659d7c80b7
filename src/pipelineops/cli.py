"""``pipelineops``: argparse → typed values → ``commands.<stage>.run(...)``. The only module that exits.

Exit codes: 0 ok, 1 a gate or check failed, 2 user error (input, config, credentials), 3 bug or outage,
130 interrupted. ``main(argv)`` returns the code without exiting, for tests and embedding.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from pipelineops import __version__
from pipelineops.cli_stages import STAGES, Options, Stage
from pipelineops.config import load_config
from pipelineops.errors import (
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNEXPECTED,
    RUNBOOK_BASE,
    PipelineOpsError,
    permission_error,
)
from pipelineops.report.diagnostics import collect_versions, render_diagnostics
from pipelineops.report.error_report import error_report
from pipelineops.report.json_out import render_json
from pipelineops.report.markdown import render_markdown
from pipelineops.report.model import StageReport
from pipelineops.report.reporter import Reporter, TerminalReporter, make_reporter

log = logging.getLogger(__name__)


def _common_options() -> argparse.ArgumentParser:
    """Options every subcommand takes, defined once (they may come before or after the subcommand)."""
    common = argparse.ArgumentParser(add_help=False)
    add_common_options(common.add_argument_group("common options"))
    return common


def add_common_options(g: Options) -> None:
    """Declare the common options on ``g`` (a parser, a group, or a recorder of them)."""
    g.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="path to pipelineops.yml (default: ./pipelineops.yml)",
    )
    g.add_argument(
        "--env",
        choices=("dev", "staging", "prod"),
        default=argparse.SUPPRESS,
        help="environment to act on (default: prod for deploy stages, dev otherwise)",
    )
    g.add_argument(
        "--dry-run",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the exact plan and SQL, change nothing",
    )
    g.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print the result as JSON")
    g.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log everything and let unexpected errors propagate with a full traceback",
    )


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="pipelineops",
        description="CI/CD for dbt: PR-scoped Slim CI, blue/green deploys and rollback, "
        "on Snowflake or the embedded local engine (DuckDB + DuckLake).",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"pipelineops {__version__}")
    sub = parser.add_subparsers(dest="stage", metavar="STAGE", required=True)
    for stage in STAGES:
        p = sub.add_parser(
            stage.name,
            parents=[common],
            help=stage.summary,
            description=stage.description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        stage.add_arguments(p)
    return parser


def _settings(ns: argparse.Namespace) -> dict[str, object]:
    return vars(ns)


def _unexpected(exc: BaseException, reporter: Reporter, stderr: TextIO) -> int:
    tb = "".join(traceback.format_exception(exc))
    stderr.write(tb)
    reporter.error(f"unexpected error: {exc!r} (a bug or an outage; details in the step summary)")
    reporter.summary(
        "### pipelineops failed unexpectedly\n\n```\n"
        + tb[-4000:]
        + "\n```\n\n"
        + render_diagnostics(collect_versions())
    )
    return EXIT_UNEXPECTED


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one subcommand and return its exit code; never calls ``sys.exit``."""
    environ = dict(os.environ if environ is None else environ)
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    try:  # argparse prints help and usage errors itself: send them to the streams given
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            ns = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    opts = _settings(ns)
    debug = bool(opts.pop("debug", False))
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        stream=stderr,
        format="%(levelname)s %(name)s: %(message)s",
        force=True,
    )
    json_mode = bool(opts.pop("json", False))
    # --json: stdout holds exactly one JSON document; progress, groups and messages go to stderr
    reporter = make_reporter(environ, stderr if json_mode else stdout, verbose=debug, json_mode=json_mode)
    stage_name = opts.pop("stage")
    stage: Stage = next(s for s in STAGES if s.name == stage_name)
    try:
        report = _run(stage, opts, environ=environ, reporter=reporter)
    except KeyboardInterrupt:
        stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except (PipelineOpsError, OSError) as caught:
        known = as_known_error(caught)
        if known is None:
            return _fail_unexpected(
                caught, stage.name, reporter, stdout, stderr, json_mode=json_mode, debug=debug
            )
        if debug and known.exit_code == EXIT_UNEXPECTED:
            raise
        text = known.render()
        stderr.write(f"pipelineops {stage.name}: {text}\n")
        if not isinstance(reporter, TerminalReporter):  # on a terminal, stderr already says it all
            reporter.error(known.what, title=f"pipelineops {stage.name}")
        reporter.summary(
            render_markdown(
                error_report(
                    stage.name,
                    what=known.what,
                    why=known.why,
                    fix=known.fix,
                    runbook=f"{RUNBOOK_BASE}{known.runbook}" if known.runbook else "",
                    production=known.production,
                    on_github=environ.get("GITHUB_ACTIONS") == "true",
                )
            )
        )
        if json_mode:
            stdout.write(error_json(stage.name, known))
        return known.exit_code
    except Exception as exc:
        return _fail_unexpected(exc, stage.name, reporter, stdout, stderr, json_mode=json_mode, debug=debug)
    reporter.publish(report, json_mode=False)  # the human report (on stderr with --json)
    if json_mode:
        stdout.write(render_json(report))
    return EXIT_CHECK_FAILED if report.conclusion == "failure" else EXIT_OK


def _run(
    stage: Stage, opts: dict[str, object], *, environ: Mapping[str, str], reporter: Reporter
) -> StageReport:
    config_path = Path(str(opts.pop("config", "pipelineops.yml")))
    dry_run = bool(opts.pop("dry_run", False))
    env_name = str(opts.pop("env", "") or stage.default_env)
    config = load_config(config_path) if stage.needs_config else None
    if config is not None and stage.preflight:
        from pipelineops.commands.doctor import stage_preflight  # the cheap checks, before any change

        stage_preflight(config, stage.name, env_name)
    run: Callable[..., StageReport] = stage.load()
    return run(
        config=config,
        env_name=env_name,
        dry_run=dry_run,
        reporter=reporter,
        environ=environ,
        **opts,
    )


def as_known_error(exc: BaseException) -> PipelineOpsError | None:
    """Our error, with a file-system refusal (EACCES, EROFS) turned into a user error naming its path."""
    if isinstance(exc, OSError):
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return permission_error(f"{exc.strerror}: '{exc.filename}'", str(exc.filename or "") or None)
        return None
    assert isinstance(exc, PipelineOpsError)
    if exc.exit_code == EXIT_UNEXPECTED:
        return permission_error(exc.render()) or exc
    return exc


def _fail_unexpected(
    exc: BaseException,
    stage: str,
    reporter: Reporter,
    stdout: TextIO,
    stderr: TextIO,
    *,
    json_mode: bool,
    debug: bool,
) -> int:
    if debug:
        raise exc
    code = _unexpected(exc, reporter, stderr)
    if json_mode:
        stdout.write(error_json(stage, PipelineOpsError(f"unexpected error: {exc!r}")))
    return code


def error_json(stage: str, exc: PipelineOpsError) -> str:
    """The one JSON document ``--json`` prints when a stage fails with an error it understands."""
    error = {
        "what": exc.what,
        "why": exc.why,
        "fix": exc.fix,
        "runbook": exc.runbook,
        "exit_code": exc.exit_code,
    }
    return json.dumps({"stage": stage, "conclusion": "failure", "error": error}, indent=2) + "\n"


def console_main() -> NoReturn:
    """The ``pipelineops`` command. With --debug an error propagates out of ``main`` with its traceback;
    the exit code stays the one the error means (2 for a user error, 3 for a bug or an outage)."""
    try:
        code = main()
    except PipelineOpsError as exc:
        traceback.print_exc()
        code = exc.exit_code
    except Exception:
        traceback.print_exc()
        code = EXIT_UNEXPECTED
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    console_main()
