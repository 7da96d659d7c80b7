from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from pipelineops.report import actions


def test_escape_data_and_properties_follow_the_toolkit() -> None:
    assert actions.escape_data("50%\r\nok: a,b") == "50%25%0D%0Aok: a,b"
    assert actions.escape_property("50%\r\nok: a,b") == "50%25%0D%0Aok%3A a%2Cb"


def test_format_command_omits_empty_properties_and_escapes_both_parts() -> None:
    line = actions.format_command(
        "error", "line 1\nline 2", {"file": "models/a,b.sql", "line": 12, "title": "", "col": None}
    )
    assert line == "::error file=models/a%2Cb.sql,line=12::line 1%0Aline 2"
    assert actions.format_command("endgroup") == "::endgroup::"
    assert actions.format_command("warning", "w", {"title": None}) == "::warning::w"


def test_issue_writes_one_line() -> None:
    stream = io.StringIO()
    actions.issue(stream, "notice", "hi", {"title": "T: 1"})
    assert stream.getvalue() == "::notice title=T%3A 1::hi\n"


def test_write_plain_passes_ordinary_text_through() -> None:
    stream = io.StringIO()
    actions.write_plain(stream, "hello\nworld\n\n")
    assert stream.getvalue() == "hello\nworld\n"


def test_write_plain_suspends_commands_around_text_that_looks_like_one() -> None:
    stream = io.StringIO()
    actions.write_plain(stream, "model x\n  ::add-mask::nope\n")
    found = re.fullmatch(
        r"::stop-commands::(\w+)\nmodel x\n  ::add-mask::nope\n::(\w+)::\n", stream.getvalue()
    )
    assert found and found.group(1) == found.group(2) and len(found.group(1)) == 32


def test_add_mask_masks_each_non_blank_line() -> None:
    stream = io.StringIO()
    actions.add_mask(stream, "-----BEGIN-----\nAB%CD\n\n  \n")
    assert stream.getvalue() == "::add-mask::-----BEGIN-----\n::add-mask::AB%25CD\n"


def test_set_output_appends_a_heredoc_with_a_random_delimiter(tmp_path: Path) -> None:
    out = tmp_path / "output"
    env = {"GITHUB_OUTPUT": str(out)}
    assert actions.set_output(env, "plan", "line 1\nline 2")
    assert actions.set_output(env, "empty", "")
    text = out.read_text(encoding="utf-8")
    found = re.fullmatch(
        r"plan<<(ghadelimiter_[0-9a-f-]{36})\nline 1\nline 2\n\1\n"
        r"empty<<(ghadelimiter_[0-9a-f-]{36})\n\n\2\n",
        text,
    )
    assert found and found.group(1) != found.group(2)


def test_set_output_refuses_a_value_containing_the_delimiter(tmp_path: Path) -> None:
    env = {"GITHUB_OUTPUT": str(tmp_path / "output")}
    with pytest.raises(ValueError, match="contains the delimiter"):
        actions.set_output(env, "x", "a\nEOF\nb", delimiter="EOF")
    assert not (tmp_path / "output").exists()


@pytest.mark.parametrize("name", ["", "a\nb", "a\rb"])
def test_set_output_refuses_bad_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="invalid output name"):
        actions.set_output({"GITHUB_OUTPUT": str(tmp_path / "o")}, name, "v")


def test_files_unset_are_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    assert actions.set_output({}, "x", "v") is False
    assert actions.append_summary({"GITHUB_STEP_SUMMARY": ""}, "# hi") is False
    assert "GITHUB_OUTPUT is not set" in caplog.text and "GITHUB_STEP_SUMMARY is not set" in caplog.text


def test_append_summary_separates_appended_documents(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    assert actions.append_summary(env, "# One\n\n\n")
    assert actions.append_summary(env, "# Twö")
    assert summary.read_text(encoding="utf-8") == "earlier step\n# One\n\n# Twö\n\n"
