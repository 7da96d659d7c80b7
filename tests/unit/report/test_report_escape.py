"""Outside text is shown exactly as written: rendered with GitHub's own parser (cmarkgfm)."""

from __future__ import annotations

import html as _h
import re

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from pipelineops.report import escape

HOSTILE = (
    "<lambda>",
    "<Undefined>",
    "__init__",
    "> quoted line",
    "[x](http://evil)",
    "a `b` and ``c``",
    "</details>",
    "**bold** _it_ ~~gone~~ !",
    "# heading",
    "1. list",
    "- item",
    "a | b",
    "&amp; stays &amp;",
    "back\\slash",
)


def _tags(rendered: str) -> set[str]:
    """Tag names in rendered HTML, after removing links whose text is their own URL (not disguised)."""
    plain = re.sub(r'<a href="([^"]+)">\1</a>', "", rendered)
    return set(re.findall(r"</?([a-z]+)", plain))


def _html(markdown: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def _text(markdown: str) -> str:
    """The rendered HTML of one paragraph or list item, with its wrapper removed and entities decoded."""
    return _h.unescape(re.sub(r"<[^>]+>", "", _html(markdown))).strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_inline_text_renders_as_written_and_adds_no_markup(text: str) -> None:
    assert _tags(_html("- " + escape.inline(text))) == {"ul", "li"}
    assert _text("- " + escape.inline(text)) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_a_table_cell_keeps_outside_text_in_its_cell(text: str) -> None:
    rendered = _html(f"| a | b |\n| --- | --- |\n| {escape.cell(text)} | z |")
    assert rendered.count("<td>") == 2
    assert _tags(rendered) == {"table", "thead", "tbody", "tr", "th", "td"}


def test_urls_in_outside_text_become_visible_links() -> None:
    md = escape.inline("its run: https://github.com/o/r/actions/runs/9.")
    assert md == "its run: <https://github.com/o/r/actions/runs/9>."
    assert (
        '<a href="https://github.com/o/r/actions/runs/9">https://github.com/o/r/actions/runs/9</a>'
        in _html(md)
    )


@pytest.mark.parametrize("text", ["a `b` c", "``", "`x`", "", "a|b"])
def test_code_span_holds_any_backticks(text: str) -> None:
    rendered = _html(escape.code_span(text))
    assert rendered.count("<code>") == 1
    assert _text(escape.code_span(text)) == text.strip() or text == ""


def test_code_block_fence_outgrows_the_text_and_keeps_closing_tags() -> None:
    block = escape.code_block("```\n</details>\n<script>x</script>  \n")
    assert block == "````\n```\n</details>\n<script>x</script>\n````"
    assert "<script>" not in _html(block) and "&lt;/details&gt;" in _html(block)


def test_html_text_for_our_own_summary_element() -> None:
    assert escape.html_text('</summary>"x"\n') == "&lt;/summary&gt;&quot;x&quot;"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/a b(1)", "https://h/a%20b%281%29"),
        ("dbt/models/x.sql", "dbt/models/x.sql"),
        ("javascript:alert(1)", None),
        ('https://h/"onmouseover', None),
        ("", None),
    ],
)
def test_safe_url_accepts_http_and_relative_only(url: str, expected: str | None) -> None:
    assert escape.safe_url(url) == expected


def test_link_with_an_unsafe_url_shows_the_label_only() -> None:
    assert escape.link("_y", "javascript:alert(1)") == "\\_y"
    assert escape.link("", "https://h/r") == "[<https://h/r>](https://h/r)"
