"""Fixtures for the offline checks of terraform/: the real tree, and temp copies to plant mistakes in."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.terraform.terraform_support import TERRAFORM


@pytest.fixture
def terraform_root() -> Path:
    return TERRAFORM


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """A copy of terraform/ to plant a mistake in."""
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    return copy


@pytest.fixture
def plant(tree_copy: Path) -> Callable[[str, str, str], Path]:
    """Replace `old` by `new` in one file of the copy (the old text must be there)."""

    def _plant(relative: str, old: str, new: str) -> Path:
        path = tree_copy / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not found in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return tree_copy

    return _plant
