"""The input contract of the composite actions: ``PIPELINEOPS_IN_<NAME>`` env vars → CLI argv (STYLE.md §3).

Each ``actions/<stage>/action.yml`` declares its inputs and passes every one through ``env:`` as
``PIPELINEOPS_IN_<NAME>`` (``dry-run`` → ``PIPELINEOPS_IN_DRY_RUN``); GitHub sets no ``INPUT_*`` for
composite actions, so this module reads nothing else. An input ``foo-bar`` is the CLI option ``--foo-bar``
of the stage (or a positional whose dest is ``foo_bar``), and the argparse definition decides how the value
is parsed:

- ``store_true`` options are booleans: only true/false/1/0/yes/no (any case); true → the flag, false → nothing.
- options with ``choices`` are enums: the value must be one of them.
- ``type=int`` options must be integers.
- an empty (or all-blank) value means "unset": the option is left out and the CLI default applies.
- a positional with ``nargs="*"`` is a free-form list: shell-split, placed after ``--``.
- other values are passed as one ``--name=value`` argument, so a value that starts with ``-`` cannot
  become an option of its own.

Bad input raises ``UserError`` naming the input and the fix. ``scripts/run-stage.sh`` runs
``python -m pipelineops.action_inputs <stage>``, which builds argv and returns ``cli.main(argv)``.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import yaml

from pipelineops.errors import EXIT_OK, UserError

if TYPE_CHECKING:
    from pipelineops.cli_stages import Options

log = logging.getLogger(__name__)

ENV_PREFIX = "PIPELINEOPS_IN_"
#: Set by scripts/run-stage.sh: the root of the checkout the action runs from (holds actions/<stage>/).
ENV_ACTION_ROOT = "PIPELINEOPS_ACTION_ROOT"
TRUE = frozenset({"true", "1", "yes"})
FALSE = frozenset({"false", "0", "no"})


@dataclass(frozen=True)
class ActionInput:
    """One input of an ``action.yml``: its name, whether it is required and its default."""

    name: str
    required: bool = False
    default: str = ""

    @property
    def env(self) -> str:
        return env_name(self.name)


def env_name(input_name: str) -> str:
    """``dry-run`` → ``PIPELINEOPS_IN_DRY_RUN`` (the name the action passes the value under)."""
    return ENV_PREFIX + input_name.upper().replace("-", "_")


def parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise UserError(
        f"input `{name}` must be a boolean, got {raw!r}",
        why="booleans accept only true/false, 1/0 or yes/no (any case); anything else is a typo",
        fix=f"with:\n    {name}: 'true'    # or 'false'",
    )


def parse_choice(name: str, raw: str, choices: Sequence[str]) -> str:
    value = raw.strip()
    if value in choices:
        return value
    near = [c for c in choices if c.lower() == value.lower()]
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    raise UserError(
        f"input `{name}` must be one of {', '.join(choices)}; got {raw!r}{hint}",
        fix=f"with:\n    {name}: {choices[0]}",
    )


def parse_int(name: str, raw: str) -> str:
    value = raw.strip()
    try:
        int(value, 10)
    except ValueError:
        raise UserError(
            f"input `{name}` must be an integer, got {raw!r}",
            fix=f"with:\n    {name}: '10'",
        ) from None
    return value


def parse_list(name: str, raw: str) -> list[str]:
    """A free-form list, split with shell rules (quotes group words; nothing is expanded or run)."""
    try:
        return shlex.split(raw)
    except ValueError as exc:
        raise UserError(
            f"input `{name}` is not a valid list: {exc}",
            why="the list is split with shell quoting rules, and a quote is left open",
            fix=f"close the quote, e.g. {name}: \"--select 'tag:nightly' --full-refresh\"",
        ) from None


def load_action_inputs(path: Path) -> tuple[ActionInput, ...]:
    """The inputs an ``action.yml`` declares (deprecated aliases included)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"cannot read the action metadata {path}: {exc}") from exc
    inputs = (data or {}).get("inputs") or {}
    if not isinstance(inputs, dict):
        raise UserError(f"{path}: `inputs` must be a mapping")
    return tuple(
        ActionInput(
            name=str(name),
            required=bool((spec or {}).get("required", False)),
            default=str((spec or {}).get("default", "")),
        )
        for name, spec in inputs.items()
    )


@dataclass
class StageOptions:
    """The options of one ``pipelineops`` subcommand (common options included), as its declarations in
    ``cli.py`` and ``cli_stages.py`` make them: every ``argparse.Action`` returned by ``add_argument``, and
    the members of each mutually exclusive group. Recorded through argparse's public methods only."""

    stage: str
    actions: list[argparse.Action]
    exclusive: list[list[argparse.Action]]


class OptionsRecorder:
    """An ``Options`` sink that declares each option on a real parser (so argparse validates it) and keeps
    the ``Action`` it returns."""

    def __init__(
        self, target: Options, into: StageOptions, members: list[argparse.Action] | None = None
    ) -> None:
        self._target, self._into, self._members = target, into, members

    def add_argument(self, *name_or_flags: str, **kwargs: Any) -> argparse.Action:
        action = self._target.add_argument(*name_or_flags, **kwargs)
        self._into.actions.append(action)
        if self._members is not None:
            self._members.append(action)
        return action

    def add_mutually_exclusive_group(self, *, required: bool = False) -> Options:
        members: list[argparse.Action] = []
        self._into.exclusive.append(members)
        return OptionsRecorder(
            self._target.add_mutually_exclusive_group(required=required), self._into, members
        )


def stage_options(stage: str) -> StageOptions:
    """The options of one ``pipelineops`` subcommand, declared exactly as the CLI declares them."""
    from pipelineops.cli import add_common_options
    from pipelineops.cli_stages import STAGES

    found = next((s for s in STAGES if s.name == stage), None)
    if found is None:
        raise UserError(
            f"unknown stage {stage!r}",
            fix=f"use one of: {', '.join(sorted(s.name for s in STAGES))}",
        )
    options = StageOptions(stage, [], [])
    recorder = OptionsRecorder(argparse.ArgumentParser(prog=f"pipelineops {stage}", add_help=False), options)
    add_common_options(recorder)
    found.add_arguments(recorder)
    return options


def _find(options: StageOptions, name: str) -> argparse.Action | None:
    option = f"--{name}"
    dest = name.replace("-", "_")
    for action in options.actions:
        if option in action.option_strings:
            return action
        if not action.option_strings and action.dest == dest:
            return action
    return None


def _is_flag(action: argparse.Action) -> bool:
    """``action="store_true"``: an option that takes no value and stores True."""
    return bool(action.option_strings) and action.nargs == 0 and action.const is True


def _is_list(action: argparse.Action) -> bool:
    return not action.option_strings and action.nargs in ("*", "+", argparse.REMAINDER)


def _check_exclusive(options: StageOptions, given: Mapping[argparse.Action, str]) -> None:
    for group in options.exclusive:
        chosen = [given[a] for a in group if a in given]
        if len(chosen) > 1:
            raise UserError(
                f"inputs {' and '.join(f'`{c}`' for c in chosen)} cannot be used together",
                fix=f"set only one of: {', '.join(a.option_strings[0][2:] for a in group)}",
            )


def build_argv(
    stage: str,
    inputs: Sequence[ActionInput],
    environ: Mapping[str, str],
    *,
    declared_options: StageOptions | None = None,
) -> list[str]:
    """argv for ``pipelineops`` from the ``PIPELINEOPS_IN_*`` variables of the declared ``inputs``."""
    stage_opts = declared_options or stage_options(stage)
    declared = {i.env: i for i in inputs}
    stray = sorted(k for k in environ if k.startswith(ENV_PREFIX) and k not in declared)
    if stray:
        raise UserError(
            f"{', '.join(stray)} set, but the {stage} action has no such input",
            why="the action passes only its declared inputs as PIPELINEOPS_IN_<NAME>; a stray one is a typo "
            "or belongs to another stage",
            fix=f"declared inputs: {', '.join(i.name for i in inputs) or '(none)'}",
        )
    options: list[str] = []
    positionals: list[str] = []
    rest: list[str] = []
    given: dict[argparse.Action, str] = {}
    for spec in inputs:
        action = _find(stage_opts, spec.name)
        if action is None:
            raise UserError(
                f"action input `{spec.name}` has no matching option `--{spec.name}` in `pipelineops {stage}`",
                why="the action.yml and the CLI disagree: the action was edited without the CLI, or the "
                "other way round",
                fix="rename the input after the CLI option (see `pipelineops " + stage + " --help`)",
            )
        raw = environ.get(spec.env, "")
        if not raw.strip():
            if spec.required or action.required:
                raise UserError(
                    f"input `{spec.name}` is required by the {stage} action and is empty",
                    why="GitHub does not enforce `required:` for composite actions, so an empty value "
                    "reaches the CLI",
                    fix=f"with:\n    {spec.name}: <value>",
                )
            continue
        if _is_flag(action):
            if parse_bool(spec.name, raw):
                options.append(action.option_strings[0])
                given[action] = spec.name
            continue
        if _is_list(action):
            rest.extend(parse_list(spec.name, raw))
            continue
        if action.choices is not None:
            value = parse_choice(spec.name, raw, [str(c) for c in action.choices])
        elif action.type is int:
            value = parse_int(spec.name, raw)
        else:
            value = raw.strip()
        given[action] = spec.name
        if action.option_strings:
            options.append(f"{action.option_strings[0]}={value}")
        else:
            positionals.append(value)
    _check_exclusive(stage_opts, given)
    argv = [stage, *options]
    if positionals or rest:
        argv += ["--", *positionals, *rest]
    return argv


def action_root(environ: Mapping[str, str]) -> Path:
    """The checkout holding ``actions/``: from run-stage.sh, else the source tree of this package."""
    root = environ.get(ENV_ACTION_ROOT, "").strip()
    if root:
        return Path(root)
    return Path(__file__).resolve().parents[2]


def _fail(exc: UserError, environ: Mapping[str, str], stdout: TextIO, stderr: TextIO) -> int:
    from pipelineops.report.reporter import make_reporter

    reporter = make_reporter(environ, stdout)
    text = exc.render()
    stderr.write(f"pipelineops action inputs: {text}\n")
    reporter.error(exc.what, title="pipelineops action inputs")
    reporter.summary(f"### pipelineops: invalid action input\n\n```\n{text}\n```\n")
    return exc.exit_code


def _setup(environ: Mapping[str, str], stdout: TextIO) -> int:
    """Install mode of the root action: report where the CLI is."""
    from pipelineops import __version__
    from pipelineops.report.reporter import make_reporter

    exe = Path(sys.prefix) / "bin" / "pipelineops"
    reporter = make_reporter(environ, stdout)
    reporter.info(f"pipelineops {__version__} installed at {exe}")
    reporter.output("pipelineops-path", str(exe))
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """``python -m pipelineops.action_inputs <stage>``: env → argv → ``cli.main``; returns its exit code."""
    from pipelineops import cli

    environ = dict(os.environ if environ is None else environ)
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--setup"]:
        return _setup(environ, stdout)
    if len(args) != 1 or args[0].startswith("-"):
        stderr.write("usage: python -m pipelineops.action_inputs STAGE | --setup\n")
        return 2
    stage = args[0]
    try:
        path = action_root(environ) / "actions" / stage / "action.yml"
        if not path.is_file():
            raise UserError(
                f"no action metadata for stage {stage!r} at {path}",
                fix="run scripts/run-stage.sh from the action's own checkout (actions/<stage>/action.yml)",
            )
        cli_argv = build_argv(stage, load_action_inputs(path), environ)
    except UserError as exc:
        return _fail(exc, environ, stdout, stderr)
    from pipelineops.report.reporter import make_reporter

    make_reporter(environ, stdout).info(f"pipelineops {shlex.join(cli_argv)}")
    return cli.main(cli_argv, environ=environ, stdout=stdout, stderr=stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
