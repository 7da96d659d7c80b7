"""Golden Markdown for every outcome people see on GitHub, rendered with GitHub's own parser (cmarkgfm)
and looked at: only allowed HTML, no empty header rows, outside text shown as written, short lines, the
one order. ``PIPELINEOPS_UPDATE_GOLDEN=1`` rewrites the files after a deliberate change."""

from __future__ import annotations

import html
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from tests.unit.report.golden_cases import CASES, HOSTILE

from pipelineops.report.markdown import render_markdown
from pipelineops.report.model import StageReport
from pipelineops.report.pr_comment import render_pr_comment

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "markdown"
ALLOWED = {
    "h3",
    "h4",
    "p",
    "ul",
    "li",
    "strong",
    "em",
    "code",
    "pre",
    "a",
    "sub",
    "br",
    "details",
    "summary",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
MAX_LINE = 400


def render(name: str) -> str:
    report = CASES[name]()
    if name.startswith("pr-comment"):
        (body,) = render_pr_comment([report], marker="slim-ci")
        return body
    return render_markdown(report)


def to_html(markdown: str) -> str:
    # UNSAFE keeps raw HTML as written, so anything that slipped through shows up here
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.header_rows: list[list[str]] = []
        self._in_head = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._in_head:
            self.header_rows.append([])
        elif tag == "th":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        elif tag == "th" and self._cell is not None:
            self.header_rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def look(name: str) -> tuple[str, Page]:
    markdown = render(name)
    page = Page()
    page.feed(to_html(markdown))
    return markdown, page


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_markdown(name: str) -> None:
    markdown = render(name)
    path = GOLDEN / f"{name}.md"
    if os.environ.get("PIPELINEOPS_UPDATE_GOLDEN") == "1":
        path.write_text(markdown, encoding="utf-8")
    assert markdown == path.read_text(encoding="utf-8"), (
        f"{path} differs (PIPELINEOPS_UPDATE_GOLDEN=1 rewrites it)"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendered_page_has_only_allowed_html_and_no_empty_header_row(name: str) -> None:
    _, page = look(name)
    assert set(page.tags) <= ALLOWED, set(page.tags) - ALLOWED
    for row in page.header_rows:
        assert any(row), f"{name}: an empty header row renders as a blank bar"


@pytest.mark.parametrize("name", sorted(CASES))
def test_lines_are_short_and_name_no_runner_path(name: str) -> None:
    markdown, _ = look(name)
    long = [line[:60] for line in markdown.splitlines() if len(line) > MAX_LINE]
    assert not long, long
    assert "/home/runner" not in markdown and "/tmp/" not in markdown


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_order_verdict_failed_todo_details(name: str) -> None:
    markdown, _ = look(name)
    body = markdown.split("\n", 1)[1].lstrip("\n") if markdown.startswith("<!--") else markdown
    assert body.startswith("### "), "the verdict comes first"
    marks = [body.find(m) for m in ("#### What failed", "#### What to do", "+ **", "<details>") if m in body]
    assert marks == sorted(marks), f"{name}: out of order"
    if "Failure" in body.splitlines()[0]:
        assert "#### What failed" in body and "#### What to do" in body


def test_hostile_dbt_text_is_shown_as_written_and_inert() -> None:
    markdown, page = look("pr-comment-sql-error")
    text = "".join(page.text)
    for line in HOSTILE.splitlines():
        assert line.strip() in text
    assert "evil.example" not in "".join(re.findall(r'href="[^"]*"', to_html(markdown)))
    assert text.count("</details>") == 1  # the one in dbt's message, as text
    assert page.tags.count("details") == page.tags.count("summary")


@pytest.mark.parametrize(
    ("name", "present", "absent"),
    [
        ("deploy-success", ["To undo, run the rollback workflow with environment prod and target d-1"], []),
        (
            "deploy-blocked-gate",
            ["Production is unchanged", "overwrote BLUE, which held deploy d-1", "no longer be re-published"],
            ["To undo"],
        ),
        (
            "deploy-lock-held",
            ['href="https://github.com/acme/dw/actions/runs/9004"', "force-unlock: true"],
            [],
        ),
        (
            "rollback-done",
            ["To undo this rollback", 'href="https://github.com/acme/dw/actions/runs/9001"'],
            ["DEPLOY_STATE"],
        ),
        ("rollback-refused", ["❌", "Production is unchanged", "model: (the model)"], ["&lt;model&gt;"]),
        (
            "status-lock-held",
            ["⚠️ HELD", "1 h ago", "rollback</strong>: not possible", "1 deploy(s) blocked"],
            ["✅"],
        ),
        (
            "pr-comment-failed-test",
            ["dbt compile --select not_null_orders_id", "dbt/models/marts/_marts.yml"],
            [],
        ),
        ("pr-comment-sql-error", ["1 built, 0 passed, 1 failed, 8 skipped", "8 node(s) skipped"], []),
    ],
)
def test_advice_is_what_the_journal_says(name: str, present: list[str], absent: list[str]) -> None:
    rendered = html.unescape(to_html(render(name)))
    for text in present:
        assert html.unescape(text) in rendered, text
    for text in absent:
        assert html.unescape(text) not in rendered, text


def test_failing_pr_test_is_shown_once_with_its_short_name() -> None:
    report: StageReport = CASES["pr-comment-failed-test"]()
    markdown = render("pr-comment-failed-test")
    assert markdown.count("**not_null_orders_id**") == 1
    assert "9f8e7d" not in markdown  # the node id's hash stays out
    assert [f.file for f in report.failures] == ["dbt/models/marts/_marts.yml"]  # repository-relative
