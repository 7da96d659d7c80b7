"""The caller workflows ``pipelineops init`` writes are the README's caller snippets, word for word."""

from __future__ import annotations

from tests.unit.test_caller_snippets import readme_snippets

from pipelineops.plan.callers import CALLERS


def test_every_init_caller_is_a_readme_snippet() -> None:
    snippets = {s.text.splitlines()[0]: s.text + "\n" for s in readme_snippets()}
    for path, text in CALLERS.items():
        assert snippets.get(f"# {path}") == text, f"{path}: plan/callers.py differs from README.md's snippet"
    assert "<full-commit-sha> # vX.Y.Z" in "".join(CALLERS.values())
