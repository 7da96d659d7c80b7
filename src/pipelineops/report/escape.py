"""The one place that makes outside text safe for GitHub Markdown (and the HTML it allows). Pure.

Text from dbt, the warehouse or a pull request (error messages, node names, reasons, actor names) can
hold ``<lambda>``, ``__init__``, a ``> `` line, ``[x](http://evil)`` or ``</details>``. Rendered raw, it
vanishes, turns bold, becomes a quote or a disguised link, or closes our folded block early. Every
renderer in ``pipelineops.report`` passes such text through one of these functions:

- ``inline``: prose on one line (headings, list items, table cells); http(s) URLs become visible links
- ``cell``: ``inline`` for a table cell (a ``|`` cannot end the cell)
- ``code_span`` / ``code_block``: literal text whose fence outgrows any backtick run inside it (not
  in a table cell, where a ``|`` would still end the cell: use ``cell`` there)
- ``html_text``: text inside our own HTML (``<summary>``)
- ``link``: a link whose URL is http(s) or repository-relative; anything else shows its label only
"""

from __future__ import annotations

import html
import logging
import re

logger = logging.getLogger(__name__)

#: ASCII punctuation that GitHub Markdown gives a meaning to anywhere in a line
_SPECIAL = re.compile(r"([\\`*\[\]()!|~])")
#: an underscore between two letters or digits (``stg_orders``) can never open or close emphasis
_LOOSE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
#: constructs that only mean something at the start of a line (or of a list item)
_LEADING = re.compile(r"^(#{1,6}|[-+]|\d{1,9}[.)])(?=\s|$)")
_URL = re.compile(r"https?://[^\s<>()\[\]`'\"|\\]+")
_TRAILING = ".,;:!?*_~"
_BACKTICKS = re.compile(r"`+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_UNSAFE_URL_CHARS = frozenset("<>\"'`\\\n\r\t")


def one_line(text: str) -> str:
    """All runs of whitespace (line breaks too) as one space, ends trimmed."""
    return " ".join(text.split())


def _escape_plain(text: str) -> str:
    escaped = _SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return _LOOSE_UNDERSCORE.sub(r"\\_", escaped)


def inline(text: str) -> str:
    """``text`` on one line, shown exactly as written; http(s) URLs in it become visible links."""
    flat = one_line(text)
    parts: list[str] = []
    start = 0
    for found in _URL.finditer(flat):
        url = found.group(0).rstrip(_TRAILING)
        end = found.start() + len(url)
        parts.append(_escape_plain(flat[start : found.start()]))
        parts.append(f"<{url}>")
        start = end
    parts.append(_escape_plain(flat[start:]))
    out = "".join(parts)
    leading = _LEADING.match(out)
    if leading:
        marker = leading.group(1)
        out = marker[:-1] + "\\" + marker[-1] + out[len(marker) :]
    return out


def cell(text: str) -> str:
    """``inline`` for a GFM table cell (``|`` is escaped by ``inline`` already)."""
    return inline(text)


def code_span(text: str) -> str:
    """Literal text in a code span on one line; the fence is longer than any backtick run inside."""
    flat = one_line(text)
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat else ""
    return f"{fence}{pad}{flat or ' '}{pad}{fence}"


def code_block(text: str) -> str:
    """A fenced block whose fence is longer than any backtick run inside the text."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = "\n".join(line.rstrip() for line in text.strip("\n").splitlines())
    return f"{fence}\n{body}\n{fence}"


def html_text(text: str) -> str:
    """Text inside our own HTML element (``<summary>``): one line, every ``<&>"'`` an entity."""
    return html.escape(one_line(text), quote=True)


def safe_url(url: str) -> str | None:
    """The URL with spaces and parentheses percent-encoded, or None unless http(s) or a relative path."""
    if not url or _UNSAFE_URL_CHARS.intersection(url):
        return None
    scheme = _SCHEME.match(url)
    if scheme and scheme.group(0).lower() not in ("http:", "https:"):
        return None
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def link(label: str, url: str) -> str:
    """``[label](url)``, the label escaped; an unsafe URL leaves the label as plain text."""
    target = safe_url(url)
    text = inline(label) or inline(url)
    return f"[{text}]({target})" if target else text
