from __future__ import annotations

import platform

from pipelineops.report.diagnostics import collect_versions, render_diagnostics


def test_collect_versions_reports_installed_and_missing_distributions() -> None:
    versions = collect_versions(["PyGithub", "surely-not-installed-dist"])
    assert versions["PyGithub"].startswith("2.")
    assert versions["surely-not-installed-dist"] == "not installed"
    assert versions["python"] == platform.python_version()
    assert versions["os"] == platform.platform()


def test_render_diagnostics_is_a_collapsed_table() -> None:
    text = render_diagnostics({"pipelineops": "0.1.0", "os": "Linux|x"})
    assert text == (
        "<details><summary>Diagnostics (include these in a bug report)</summary>\n\n"
        "| component | version |\n| --- | --- |\n| pipelineops | 0.1.0 |\n| os | Linux\\|x |\n\n"
        "</details>\n"
    )
