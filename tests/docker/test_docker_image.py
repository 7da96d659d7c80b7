"""The Dockerfile, .dockerignore and docker-compose.yml, checked offline (the build itself runs in
.github/workflows/docker.yml): hadolint, the Compose schema, and structural rules read with dockerfile-parse."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERIGNORE = ROOT / ".dockerignore"
BUILD_TOOLS = re.compile(r"\b(apt-get|apt|apk|gcc|g\+\+|cc|make|build-essential|clang|cargo|rustc)\b")


def _stages() -> list[list[dict[str, object]]]:
    parser = DockerfileParser(path=str(DOCKERFILE))
    stages: list[list[dict[str, object]]] = []
    for item in parser.structure:
        if item["instruction"] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(item)
    return stages


def _values(stage: list[dict[str, object]], instruction: str) -> list[str]:
    return [str(i["value"]) for i in stage if i["instruction"] == instruction]


def _base_images() -> list[str]:
    parser = DockerfileParser(path=str(DOCKERFILE))
    args = {}
    for item in parser.structure:
        if item["instruction"] == "ARG" and "=" in str(item["value"]):
            key, _, default = str(item["value"]).partition("=")
            args[key] = default
        if item["instruction"] == "FROM":
            break
    images = []
    for stage in _stages():
        (value,) = _values(stage, "FROM")
        image = value.split()[0]
        images.append(re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image))
    return images


def test_hadolint_passes() -> None:
    result = subprocess.run(
        [BIN / "hadolint", "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_an_unpinned_root_image(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install dbt-core\n", encoding="utf-8")
    result = subprocess.run(
        [BIN / "hadolint", "--no-color", str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # "latest" tag
    assert "DL3013" in result.stdout  # unpinned pip install


def test_every_base_image_is_pinned_to_an_exact_release() -> None:
    images = _base_images()
    assert len(images) == 2
    for image in images:
        assert "@sha256:" in image or re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", image), image


def test_two_stages_builder_then_runtime() -> None:
    names = [_values(stage, "FROM")[0].split()[-1] for stage in _stages()]
    assert names == ["builder", "runtime"]


def test_final_stage_runs_as_a_numeric_non_root_user() -> None:
    final = _stages()[-1]
    users = _values(final, "USER")
    assert users, "the final stage sets no USER: it would run as root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0
    assert not gid or (gid.isdigit() and int(gid) > 0)
    after_user = final[[i["instruction"] for i in final].index("USER") :]
    assert not [i for i in after_user if i["instruction"] == "RUN"], "RUN after USER would need root anyway"


def test_final_stage_has_no_build_tools_and_installs_only_prebuilt_wheels() -> None:
    final = _stages()[-1]
    runs = _values(final, "RUN")
    assert not [r for r in runs if BUILD_TOOLS.search(r)]
    installs = [r for r in runs if "pip install" in r]
    assert installs
    for run in installs:
        for command in run.split("&&"):
            if "pip install" in command:
                assert "--no-index" in command, command
    assert "--requirement /tmp/runtime.txt" in " ".join(installs)
    copies_from_builder = [c for c in _values(final, "COPY") if "--from=builder" in c]
    assert not copies_from_builder, "wheels are bind-mounted, never copied into a layer"


def test_runtime_requirements_are_exact_pins() -> None:
    lines = (ROOT / "requirements" / "runtime.txt").read_text(encoding="utf-8").splitlines()
    reqs = [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]
    assert reqs
    loose = [r for r in reqs if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+\-]+( \\)?", r)]
    assert not loose, f"not exact pins: {loose}"
    assert "requirements/runtime.txt" in " ".join(_values(_stages()[0], "RUN"))


def test_entrypoint_and_healthcheck() -> None:
    final = _stages()[-1]
    assert json.loads(_values(final, "ENTRYPOINT")[-1]) == ["pipelineops"]
    # A run-to-completion CLI has no process to probe: HEALTHCHECK NONE, with the reason written above it.
    assert _values(final, "HEALTHCHECK") == ["NONE"]
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "No HEALTHCHECK:" in text.split("HEALTHCHECK NONE")[0].splitlines()[-2]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rules, enough for our file: last match wins, a pattern matching a parent
    directory matches everything under it, ``!`` re-includes, ``**/`` also matches at the root."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw[1:] if negate else raw
        pattern = pattern.rstrip("/")
        candidates = [pattern] + ([pattern[3:]] if pattern.startswith("**/") else [])
        if any(pattern == "**" or fnmatch.fnmatchcase(p, c) for p in prefixes for c in candidates):
            ignored = not negate
    return ignored


def _ignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        ".pipelineops/warehouse/prod/catalog.ducklake",
        "tests/unit/test_x.py",
        "rsa_key.p8",
        "dbt/keys/rsa_key.p8",
        "src/pipelineops/secret.pem",
        "dbt/target/manifest.json",
        "dbt/logs/dbt.log",
        ".env",
        "src/pipelineops/__pycache__/cli.cpython-311.pyc",
    ],
)
def test_dockerignore_keeps_out(path: str) -> None:
    assert _ignored(path, _ignore_patterns())


def _copied_sources() -> list[str]:
    copied = []
    for stage in _stages():
        for value in _values(stage, "COPY"):
            args = [a for a in value.split() if not a.startswith("--")]
            copied += args[:-1]
    return copied


def test_dockerignore_lets_in_everything_the_dockerfile_copies() -> None:
    copied = [*_copied_sources(), "src/pipelineops/cli.py", "dbt/models/marts/x.sql", "dbt/dbt_project.yml"]
    patterns = _ignore_patterns()
    assert [p for p in copied if _ignored(p.rstrip("/"), patterns)] == []


def test_every_path_the_dockerfile_copies_exists() -> None:
    # pyproject.toml names README.md as the package readme: building the wheel needs it.
    assert [p for p in _copied_sources() if not (ROOT / p).exists()] == []


def test_compose_file_matches_the_compose_spec() -> None:
    result = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_schema_check_rejects_a_broken_file(tmp_path: Path) -> None:
    bad = tmp_path / "docker-compose.yml"
    bad.write_text("services:\n  x:\n    volumes: 3\n", encoding="utf-8")
    result = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1


def test_compose_runs_the_demo_on_a_named_warehouse_volume() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    service = compose["services"]["pipelineops"]
    final = _stages()[-1]
    assert service["build"]["target"] == "runtime"
    assert service["command"] == ["demo"]
    (workdir,) = _values(final, "WORKDIR")
    volume_dir = f"{workdir}/.pipelineops"
    assert json.loads(_values(final, "VOLUME")[0]) == [volume_dir]
    mounts = [m.split(":") for m in service["volumes"]]
    assert [name for name, target in mounts if target == volume_dir] == ["warehouse"]
    assert "warehouse" in compose["volumes"]
    assert service["user"] == _values(final, "USER")[-1]
