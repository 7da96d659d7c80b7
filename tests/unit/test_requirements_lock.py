"""requirements/runtime.lock: the hash-locked twin of runtime.txt that scripts/run-stage.sh installs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements" / "runtime.lock"
RUNTIME = REPO / "requirements" / "runtime.txt"


def entries(text: str) -> dict[str, tuple[Requirement, tuple[str, ...]]]:
    """name → (requirement, its sha256 hashes), from a requirements file with `\\` continuations."""
    out = {}
    for logical in re.sub(r"\\\n\s*", " ", text).splitlines():
        line = logical.split("#", 1)[0].strip() if not logical.lstrip().startswith("--hash") else ""
        if not line:
            continue
        spec, *options = line.split(" --")
        req = Requirement(spec.strip())
        hashes = tuple(o.split("sha256:", 1)[1].strip() for o in options if o.startswith("hash=sha256:"))
        out[canonicalize_name(req.name)] = (req, hashes)
    return out


def test_lock_pins_exactly_the_runtime_closure_plus_the_build_backend() -> None:
    lock, runtime = entries(LOCK.read_text(encoding="utf-8")), entries(RUNTIME.read_text(encoding="utf-8"))
    assert set(lock) == set(runtime) | {"setuptools"}
    for name, (req, _) in runtime.items():
        assert str(lock[name][0].specifier) == str(req.specifier), name


def test_every_locked_requirement_is_pinned_with_sha256_hashes() -> None:
    for name, (req, hashes) in entries(LOCK.read_text(encoding="utf-8")).items():
        assert re.fullmatch(r"==[\w.]+", str(req.specifier)), name
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name


def test_locked_build_backend_satisfies_pyproject() -> None:
    build = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]
    (requires,) = [
        Requirement(r) for r in build["requires"] if canonicalize_name(Requirement(r).name) == "setuptools"
    ]
    locked = entries(LOCK.read_text(encoding="utf-8"))["setuptools"][0]
    assert requires.specifier.contains(str(locked.specifier).removeprefix("=="))
    assert build["build-backend"] == "setuptools.build_meta"


def test_entries_reads_continuations_extras_and_comments() -> None:
    text = (
        "# c\nfoo[bar]==1.0 \\\n    --hash=sha256:"
        + "a" * 64
        + " \\\n    --hash=sha256:"
        + "b" * 64
        + "\nbaz==2\n"
    )
    got = entries(text)
    assert set(got) == {"foo", "baz"}
    assert got["foo"][1] == ("a" * 64, "b" * 64) and got["foo"][0].extras == {"bar"}
    assert got["baz"][1] == ()
