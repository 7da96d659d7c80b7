"""The diagnostics block an unexpected error adds to the step summary (STYLE.md §4)."""

from __future__ import annotations

import logging
import platform
from collections.abc import Iterable, Mapping
from importlib import metadata

from pipelineops.report.markdown import render_table

logger = logging.getLogger(__name__)

DISTRIBUTIONS = (
    "pipelineops",
    "dbt-core",
    "dbt-duckdb",
    "dbt-snowflake",
    "snowflake-connector-python",
    "duckdb",
    "PyGithub",
)


def collect_versions(distributions: Iterable[str] = DISTRIBUTIONS) -> dict[str, str]:
    """Installed versions (``not installed`` when absent), plus Python and the OS."""
    versions: dict[str, str] = {}
    for name in distributions:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["python"] = platform.python_version()
    versions["os"] = platform.platform()
    return versions


def render_diagnostics(versions: Mapping[str, str]) -> str:
    """A collapsed markdown block to paste into a bug report."""
    table = render_table(("component", "version"), tuple(versions.items()))
    return (
        f"<details><summary>Diagnostics (include these in a bug report)</summary>\n\n{table}\n\n</details>\n"
    )
