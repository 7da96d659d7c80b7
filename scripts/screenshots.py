"""Render the golden Markdown (tests/fixtures/markdown/*.md) as GitHub would, to HTML pages and PNG pictures.

    python scripts/screenshots.py [--html build/screenshots] [--out docs/images] [--browser PATH] [name ...]

Each page is the Markdown rendered by cmarkgfm (GitHub's parser) inside a plain GitHub-like stylesheet,
folded blocks folded, as a reader first sees them. PNGs need a headless Chromium:
``--browser``, else ``$CHROMIUM``, else the first of chromium-headless-shell, chromium, google-chrome on
PATH (Debian: ``apt-get install chromium-headless-shell``). Without one, only the HTML pages are written
and the script says so (exit 0), so the docs build never depends on a browser.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cmarkgfm
from cmarkgfm.cmark import Options

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "fixtures" / "markdown"
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
WIDTH = 900
STYLE = """
body { font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
       color: #1f2328; margin: 0; padding: 16px 24px; background: #fff; width: 852px; }
h3 { font-size: 1.25em; margin: 0 0 16px; } h4 { font-size: 1em; margin: 20px 0 8px; }
code, pre { font: 12px/1.45 ui-monospace, "DejaVu Sans Mono", monospace; }
code { background: #eff1f3; padding: .2em .4em; border-radius: 6px; }
pre { background: #f6f8fa; padding: 12px 16px; border-radius: 6px; overflow: auto; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #d1d9e0; padding: 4px 12px; }
th { background: #f6f8fa; } tr:nth-child(2n) td { background: #f6f8fa; }
a { color: #0969da; text-decoration: none; } ul { padding-left: 2em; } li + li { margin-top: .25em; }
details { margin: 8px 0; } summary { cursor: pointer; } sub { color: #59636e; }
"""


def page(markdown: str, title: str) -> str:
    body = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>\n"
    )


def find_browser(given: str | None) -> str | None:
    for name in (given, os.environ.get("CHROMIUM"), *BROWSERS):
        if name and (path := shutil.which(name)):
            return path
    return None


def height(html: str) -> int:
    """The page height in pixels, estimated from its visible lines (folded tables do not count)."""
    visible = re.sub(r"<details>.*?</summary>.*?</details>", "<summary></summary>", html, flags=re.S)
    lines = sum(visible.count(tag) for tag in ("<li>", "<h4>", "<tr>", "<summary>", "<p>"))
    code = sum(block.count("\n") + 1 for block in re.findall(r"<pre>(.*?)</pre>", visible, flags=re.S))
    return 90 + 30 * lines + 19 * code + 50 * visible.count("<pre>")


def screenshot(browser: str, html_path: Path, png_path: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={WIDTH},{height(html_path.read_text(encoding='utf-8'))}",
                f"--screenshot={png_path}",
                html_path.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="where the PNGs go")
    parser.add_argument(
        "--html", type=Path, default=ROOT / "build" / "screenshots", help="where the pages go"
    )
    parser.add_argument("--browser", help="a headless Chromium (default: found on PATH)")
    parser.add_argument("names", nargs="*", help="golden files to render (default: all)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    args.html.mkdir(parents=True, exist_ok=True)
    sources = [GOLDEN / f"{n}.md" for n in args.names] or sorted(GOLDEN.glob("*.md"))
    browser = find_browser(args.browser)
    for source in sources:
        html_path = args.html / f"{source.stem}.html"
        html_path.write_text(page(source.read_text(encoding="utf-8"), source.stem), encoding="utf-8")
        if browser:
            screenshot(browser, html_path, args.out / f"{source.stem}.png")
        print(f"{source.stem}: {html_path}" + (f" and {args.out / source.stem}.png" if browser else ""))
    if not browser:
        print(
            "no headless Chromium found: wrote the HTML pages only. For the PNGs install one "
            "(Debian: apt-get install chromium-headless-shell) or pass --browser PATH.",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
