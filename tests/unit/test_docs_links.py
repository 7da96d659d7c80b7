"""The documentation's links resolve: every runbook the code names exists, and every relative markdown link
in the operator and contributor docs points at a file or folder of this repository.

A failure lists every broken link at once (file:line → target), so one run shows all there is to fix.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "pipelineops"
RUNBOOKS = ROOT / "runbooks"

#: ``runbook="x.md"``, ``RUNBOOK = "x.md"`` and prose such as ``Runbook: runbooks/x.md`` in the package.
_RUNBOOK_NAMES = (
    re.compile(r"""\brunbook\s*=\s*["']([^"']+)["']""", re.IGNORECASE),
    re.compile(r"""\brunbooks/([A-Za-z0-9_.-]+\.md)\b"""),
)
_INLINE_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_CODE_SPAN = re.compile(r"(`+).+?\1")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # http:, https:, mailto:, …


def runbooks_named_in_code() -> dict[str, list[str]]:
    """Runbook file name → the places (path:line) in ``src/pipelineops`` that name it."""
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for pattern in _RUNBOOK_NAMES:
                for name in pattern.findall(line):
                    if name.endswith(".md"):
                        where = f"{path.relative_to(ROOT)}:{number}"
                        found.setdefault(name.removeprefix("runbooks/"), []).append(where)
    return found


def documents() -> list[Path]:
    """The markdown files whose relative links must resolve."""
    docs = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", ROOT / "CONTRIBUTING.md"]
    docs += sorted(RUNBOOKS.glob("*.md"))
    docs += sorted((ROOT / "actions").glob("*/README.md"))
    docs += [p for p in (ROOT / "terraform" / "README.md", ROOT / "dbt" / "README.md") if p.is_file()]
    docs += sorted(SRC.glob("*/README.md"))
    return docs


def relative_links(text: str) -> list[tuple[int, str]]:
    """(line, target) of every relative link outside code blocks and code spans, anchors removed."""
    out: list[tuple[int, str]] = []
    in_fence = False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        prose = _CODE_SPAN.sub("", line)
        targets = _INLINE_LINK.findall(prose)
        ref = _REFERENCE_LINK.match(prose)
        if ref:
            targets.append(ref.group(1))
        for target in targets:
            if target.startswith("#") or _EXTERNAL.match(target):
                continue
            path = target.split("#", 1)[0].split("?", 1)[0]
            if path:
                out.append((number, path))
    return out


def test_relative_links_parse_as_expected() -> None:
    text = (
        "See [a](runbooks/a.md#why), ![img](docs/x.png) and [web](https://example.com).\n"
        "`[not](a-link.md)` and [anchor](#top)\n"
        "```\n[inside](code.md)\n```\n"
        "[ref]: CONTRIBUTING.md\n"
    )
    assert relative_links(text) == [(1, "runbooks/a.md"), (1, "docs/x.png"), (6, "CONTRIBUTING.md")]


def test_every_runbook_named_in_the_code_exists() -> None:
    named = runbooks_named_in_code()
    assert named, "no runbook names found in src/pipelineops: the patterns of this test are out of date"
    missing = [
        f"runbooks/{name} (named at {', '.join(places)})"
        for name, places in sorted(named.items())
        if not (RUNBOOKS / name).is_file()
    ]
    assert not missing, "runbooks named in the code but missing:\n  " + "\n  ".join(missing)


def test_every_relative_markdown_link_resolves() -> None:
    broken: list[str] = []
    missing_docs = [str(p.relative_to(ROOT)) for p in documents() if not p.is_file()]
    for doc in documents():
        if not doc.is_file():
            continue
        for number, target in relative_links(doc.read_text(encoding="utf-8")):
            resolved = (ROOT / target.lstrip("/")) if target.startswith("/") else (doc.parent / target)
            if not resolved.exists():
                broken.append(f"{doc.relative_to(ROOT)}:{number} → {target}")
    problems = [f"missing document: {d}" for d in missing_docs] + broken
    assert not problems, f"{len(problems)} broken documentation link(s):\n  " + "\n  ".join(problems)
