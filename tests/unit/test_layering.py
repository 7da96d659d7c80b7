"""The layers of STYLE.md §2 hold: which package may import which, where I/O and exits may live.

Every module of ``src/pipelineops`` is parsed (``ast``, nothing is imported), so an import inside a function
counts as much as one at the top. A rule with a justified exception names it in ``EXCEPTIONS`` with the
reason; anything else that breaks a rule fails here with the module, the line and the import.

- ``plan/`` is pure: from the package it imports only ``plan/`` and ``errors``; from outside only the pure
  standard-library modules in ``PURE_STDLIB`` (no ``os``, ``subprocess``, ``socket``, ``time``, drivers…),
  and it never asks for the clock (``now``/``utcnow``/``today``): ``now`` is an argument.
- ``report/`` renders: from the package it imports only ``report/``, ``plan/`` and ``errors``; the renderers
  use only pure standard-library modules; the modules that write (workflow commands, the terminal, progress)
  are listed with the I/O they need.
- Lower layers never import higher ones: nothing below ``commands/`` (``execute/``, ``engines/``, ``dbt/``,
  ``github/``, ``config/``, ``plan/``, ``report/``, ``journal.py``, ``errors.py``) imports ``commands/`` or the
  CLI; ``engines/`` imports only ``plan/``, ``config/`` and ``errors``.
- Each driver is imported only at its edge: duckdb and snowflake in ``engines/``, PyGithub in ``github/``.
- Only ``cli.py`` exits (``sys.exit``, ``raise SystemExit``, ``os._exit``, ``os.kill``, ``exit``/``quit``), and
  library code never prints.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "pipelineops"

#: Standard-library modules that do no I/O and read no clock: what ``plan/`` and the renderers may import.
#: third-party libraries plan/ may use, with why they are pure
PURE_LIBRARIES = {
    "sqlglot": "a SQL parser: text in, trees out, no I/O (column lineage of slim-ci's impact analysis)",
}
PURE_STDLIB = frozenset(
    {
        "__future__",
        "abc",
        "collections",
        "collections.abc",
        "contextlib",
        "dataclasses",
        "datetime",  # types and arithmetic; asking for the time is checked separately
        "decimal",
        "difflib",
        "enum",
        "functools",
        "hashlib",
        "html",
        "itertools",
        "json",
        "logging",
        "math",
        "re",
        "shlex",
        "statistics",
        "string",
        "textwrap",
        "typing",
    }
)

#: (rule, module, what) → why it is allowed. Keep this short; every entry needs a reason a reviewer accepts.
EXCEPTIONS: dict[tuple[str, str, str], str] = {
    (
        "report-io",
        "report/actions.py",
        "uuid",
    ): "the random heredoc delimiter of $GITHUB_OUTPUT (STYLE.md §5)",
    (
        "report-io",
        "report/reporter.py",
        "time",
    ): "the Reporter times its groups; it is the writer, not a renderer",
    ("report-io", "report/progress_sinks.py", "os"): "picks the progress sink from TERM and the stream",
    ("report-io", "report/progress_sinks.py", "tqdm"): "LiveProgress redraws one terminal line with tqdm",
    ("report-io", "report/diagnostics.py", "importlib"): "collect_versions reads installed package versions",
    ("report-io", "report/diagnostics.py", "platform"): "collect_versions names the OS and Python",
    ("exit", "action_inputs.py", "sys.exit"): (
        "the `python -m pipelineops.action_inputs` entry of scripts/run-stage.sh, under `__main__` only: "
        "it exits with the code cli.main returned"
    ),
    ("exit", "execute/operation.py", "os.kill"): (
        "the chaos hook (PIPELINEOPS_CHAOS_KILL_AFTER) SIGKILLs its own process after a journal row, to prove "
        "a re-run converges; never set outside the chaos tests"
    ),
}

LOWER_LAYERS = ("execute", "engines", "dbt", "github", "config", "plan", "report", "journal.py", "errors.py")
CLI_MODULES = (
    "pipelineops.commands",
    "pipelineops.cli",
    "pipelineops.cli_stages",
    "pipelineops.action_inputs",
)
DRIVER_EDGES = {"duckdb": ("engines",), "snowflake": ("engines",), "github": ("github",)}
CLOCK_CALLS = frozenset({"now", "utcnow", "today"})  # datetime.now(), date.today(); time is not importable
EXIT_CALLS = frozenset({"sys.exit", "os._exit", "os.kill", "exit", "quit"})


@dataclass(frozen=True)
class Import:
    module: str  # absolute, e.g. ``pipelineops.plan.history`` or ``subprocess``
    line: int
    name_from: bool = False  # ``pkg.x`` of ``from pkg import x`` (x may be a module or any other name)


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports(tree: ast.AST, module: str, *, is_package: bool = False) -> Iterator[Import]:
    """Every import of ``tree`` (also inside functions), relative ones made absolute; ``from pkg import x``
    also yields ``pkg.x`` (x may be a module)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield Import(target, node.lineno)
            for alias in node.names:
                yield Import(f"{target}.{alias.name}", node.lineno, name_from=True)


def calls(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Dotted names of every call (``sys.exit``, ``datetime.now``, ``print``) and ``raise SystemExit``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield ast.unparse(node.func), node.lineno
        elif isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if ast.unparse(exc) == "SystemExit":
                yield "raise SystemExit", node.lineno


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _in_main_guard(tree: ast.AST, line: int) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'":
            end = node.end_lineno or node.lineno
            if node.lineno <= line <= end:
                return True
    return False


def violations(rel: str, source: str) -> list[str]:
    """What ``source`` (the module at ``rel``, relative to ``src/pipelineops``) breaks, one line each."""
    tree = ast.parse(source)
    path = SRC / rel
    name = module_name(path)
    layer = Path(rel).parts[0]
    out: list[str] = []

    seen: set[tuple[str, int]] = set()

    def flag(rule: str, what: str, line: int, text: str) -> None:
        if (rule, rel, what) not in EXCEPTIONS and (rule, line) not in seen:  # once per rule and line
            seen.add((rule, line))
            out.append(f"{rel}:{line}: {text}")

    for imp in imports(tree, name, is_package=path.name == "__init__.py"):
        top = imp.module.split(".")[0]
        own = _under(imp.module, "pipelineops")
        if layer in LOWER_LAYERS and any(_under(imp.module, m) for m in CLI_MODULES):
            flag(
                "lower",
                imp.module,
                imp.line,
                f"imports {imp.module}: a lower layer never imports the CLI layer",
            )
        for driver, edges in DRIVER_EDGES.items():
            if top == driver and layer not in edges:
                flag("driver", driver, imp.line, f"imports {driver} outside {'/'.join(edges)}/")
        if layer == "plan":
            allowed = own and (
                _under(imp.module, "pipelineops.plan") or _under(imp.module, "pipelineops.errors")
            )
            if own and not allowed:
                flag(
                    "plan", imp.module, imp.line, f"imports {imp.module}: plan/ imports only plan/ and errors"
                )
            if not own and not imp.name_from and imp.module not in PURE_STDLIB and top not in PURE_LIBRARIES:
                flag("plan", imp.module, imp.line, f"imports {imp.module}: plan/ does no I/O (PURE_STDLIB)")
        if layer == "report":
            allowed = any(_under(imp.module, f"pipelineops.{p}") for p in ("report", "plan", "errors"))
            if own and not allowed:
                flag(
                    "report",
                    imp.module,
                    imp.line,
                    f"imports {imp.module}: report/ imports report/, plan/, errors",
                )
            if not own and not imp.name_from and imp.module not in PURE_STDLIB:
                flag("report-io", top, imp.line, f"imports {imp.module}: renderers do no I/O")
        if layer == "engines" and own:
            allowed = any(
                _under(imp.module, f"pipelineops.{p}") for p in ("engines", "plan", "config", "errors")
            )
            if not allowed:
                flag(
                    "engines",
                    imp.module,
                    imp.line,
                    f"imports {imp.module}: engines/ import plan/, config/, errors",
                )
    for call, line in calls(tree):
        if call == "print":
            flag("print", call, line, "prints: library output goes through a Reporter")
        if rel != "cli.py" and (call in EXIT_CALLS or call == "raise SystemExit"):
            if rel == "action_inputs.py" and not _in_main_guard(tree, line):
                out.append(f"{rel}:{line}: calls {call} outside its __main__ guard: only cli.py exits")
            else:
                flag("exit", call, line, f"calls {call}: only cli.py exits")
        if layer == "plan" and "." in call and call.rpartition(".")[2] in CLOCK_CALLS:
            flag("plan-clock", call, line, f"calls {call}: plan/ takes the time as an argument")
    return out


def modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_every_module_of_the_package_keeps_the_layering() -> None:
    found = [v for path in modules() for v in violations(str(path.relative_to(SRC)), path.read_text("utf-8"))]
    assert found == [], "layering broken (STYLE.md §2):\n" + "\n".join(found)


def test_every_listed_exception_is_still_needed() -> None:
    """An exception whose code is gone is removed from the list, so the list stays the truth."""
    needed = set()
    for path in modules():
        rel = str(path.relative_to(SRC))
        tree = ast.parse(path.read_text("utf-8"))
        tops = {i.module.split(".")[0] for i in imports(tree, module_name(path))}
        names = {c for c, _ in calls(tree)}
        for rule, where, what in EXCEPTIONS:
            if where == rel and (what in tops or what in names):
                needed.add((rule, where, what))
    assert set(EXCEPTIONS) - needed == set()


@pytest.mark.parametrize(
    ("rel", "source", "expected"),
    [
        ("execute/x.py", "from pipelineops.commands.runtime import Runtime\n", "a lower layer never imports"),
        ("execute/x.py", "def f():\n    from ..commands import status\n", "imports pipelineops.commands"),
        ("plan/x.py", "import subprocess\n", "plan/ does no I/O"),
        ("plan/x.py", "from os import environ\n", "plan/ does no I/O"),
        ("plan/x.py", "from pipelineops.engines.base import Engine\n", "plan/ imports only plan/ and errors"),
        (
            "plan/x.py",
            "from datetime import datetime\nnow = datetime.now()\n",
            "takes the time as an argument",
        ),
        ("report/x.py", "from pipelineops.journal import LockHolder\n", "report/ imports report/, plan/"),
        ("report/x.py", "import socket\n", "renderers do no I/O"),
        ("engines/x.py", "from pipelineops.report.model import StageReport\n", "engines/ import plan/"),
        ("commands/x.py", "import duckdb\n", "imports duckdb outside engines/"),
        ("commands/x.py", "import sys\nsys.exit(1)\n", "only cli.py exits"),
        ("commands/x.py", "raise SystemExit(2)\n", "only cli.py exits"),
        ("action_inputs.py", "import sys\nsys.exit(3)\n", "only cli.py exits"),  # outside __main__
        ("report/x.py", "print('hi')\n", "library output goes through a Reporter"),
    ],
)
def test_the_rules_catch_what_they_are_for(rel: str, source: str, expected: str) -> None:
    found = violations(rel, source)
    assert any(expected in v for v in found), found


def test_the_allowed_directions_pass() -> None:
    assert violations("commands/x.py", "from pipelineops.execute.runtime import Runtime\n") == []
    assert violations("execute/x.py", "from pipelineops.report.advice import build_name\n") == []
    assert violations("report/x.py", "from pipelineops.plan.history import LockHolder\n") == []
    assert (
        violations("plan/x.py", "from typing import Literal\nfrom pipelineops.errors import UserError\n")
        == []
    )
    assert violations("action_inputs.py", "import sys\nif __name__ == '__main__':\n    sys.exit(0)\n") == []
    assert violations("cli.py", "import sys\nsys.exit(0)\n") == []
