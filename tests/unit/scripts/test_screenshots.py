"""``make screenshots``: golden Markdown to HTML pages always, to PNGs when a headless Chromium is there."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "screenshots.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pages_are_written_without_a_browser_and_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser on PATH
    monkeypatch.delenv("CHROMIUM", raising=False)
    shots = _load()
    assert (
        shots.main(["--out", str(tmp_path / "png"), "--html", str(tmp_path / "html"), "deploy-blocked-gate"])
        == 0
    )
    page = (tmp_path / "html" / "deploy-blocked-gate.html").read_text(encoding="utf-8")
    assert "<details><summary>" in page and "<h4>What failed</h4>" in page
    assert not list((tmp_path / "png").iterdir())
    assert "no headless Chromium found" in capsys.readouterr().err


def test_height_counts_visible_lines_only() -> None:
    shots = _load()
    folded = "<details><summary>x</summary><table><tr><td>1</td></tr></table></details>"
    assert shots.height(folded) == shots.height("<summary></summary>")
    assert shots.height("<ul><li>a</li><li>b</li></ul>") == shots.height("<ul><li>a</li></ul>") + 30


@pytest.mark.skipif(
    not any(shutil.which(b) for b in ("chromium-headless-shell", "chromium")),
    reason="no headless Chromium on this machine (Debian: apt-get install chromium-headless-shell)",
)
def test_png_with_a_headless_chromium(tmp_path: Path) -> None:
    shots = _load()
    assert shots.main(["--out", str(tmp_path), "--html", str(tmp_path), "rollback-refused"]) == 0
    assert (tmp_path / "rollback-refused.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
