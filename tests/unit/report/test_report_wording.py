"""report/wording.py: the PR comment's section titles, pinned. Changing one is a change every reader sees."""

from __future__ import annotations

import re
from pathlib import Path

from pipelineops.report import wording
from pipelineops.report.markdown import render_markdown
from pipelineops.report.model import Advice, Failure, StageReport
from pipelineops.report.pr_comment import _truncation_note

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "markdown"


def test_the_pr_comment_section_titles_are_pinned() -> None:
    assert wording.PR_COMMENT_TITLES == (
        "What failed",
        "What to do",
        "⏭️ {n} node(s) skipped: not run because a node they depend on failed",
        "Selected, and why",
        "Column-level impact: {built} of {before} selected node(s) built, {skipped} skipped (deferred to production)",
        "Blind spots of state:modified",
        "Notes",
        "Data changes",
        "Plan",
    )
    assert (wording.FINISHED_IN, wording.VIEW_THE_RUN) == ("Finished in {duration}", "View the run")
    assert wording.TRUNCATED == "_… truncated, see {where} for the full output._"


def test_the_golden_pr_comments_use_only_these_titles() -> None:
    patterns = [re.sub(r"\\\{\w+\\\}", r"\\d+", re.escape(t)) for t in wording.PR_COMMENT_TITLES]
    seen: set[str] = set()
    for path in sorted(GOLDEN.glob("pr-comment-*.md")):
        text = path.read_text(encoding="utf-8")
        titles = re.findall(r"^#### (.+)$", text, re.MULTILINE)
        titles += re.findall(r"<summary>(.+?)</summary>", text)
        for title in (re.sub(r"\\(.)", r"\1", t) for t in titles):  # as read, Markdown escapes undone
            match = next((p for p in patterns if re.fullmatch(p, title)), None)
            assert match is not None, f"{path.name}: section {title!r} is not in report/wording.py"
            seen.add(match)
    assert len(seen) >= 5


def test_the_markdown_renders_its_head_and_footer_with_the_wording() -> None:
    report = StageReport(
        stage="slim-ci",
        conclusion="failure",
        title="t",
        failures=(Failure("x"),),
        advice=(Advice("fix it"),),
        duration_s=2.0,
        run_url="https://github.com/o/r/actions/runs/1",
    )
    text = render_markdown(report)
    assert f"#### {wording.WHAT_FAILED}\n" in text
    assert f"#### {wording.WHAT_TO_DO}\n" in text
    assert f"[{wording.VIEW_THE_RUN}](" in text
    assert "Finished in " in text
    assert _truncation_note(None) == "_… truncated, see the run log for the full output._"
