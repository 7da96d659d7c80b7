"""The hooks of .pre-commit-config.yaml and .pre-commit-hooks.yaml, run for real by pre-commit on
throwaway git repositories in tmp_path (PRE_COMMIT_HOME there too)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
PRE_COMMIT = VENV_BIN / "pre-commit"
# Hooks copied into every temp repository, with what they need to run there.
SUPPORT = [
    ".pre-commit-config.yaml",
    ".secrets.baseline",
    "pyproject.toml",  # ruff settings
    "scripts/check_private_keys.py",
    "scripts/check_yaml.py",
    "scripts/dbt_hook.py",
]
DBT_HOOKS = "sqlfluff-lint,dbt-parse,dbt-compile"
# Built at runtime so that this file itself holds no key header.
KEY_HEADER = "-----BEGIN " + "ENCRYPTED PRIVATE KEY-----"

WORKFLOW_OK = """\
name: ok
on: push
permissions: {}
concurrency:
  group: ok-${{ github.ref }}
  cancel-in-progress: true
jobs:
  test:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    steps:
      - run: echo ok
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _make_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")
    for name in SUPPORT:
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, path / name)
    (path / ".venv").symlink_to(ROOT / ".venv")  # hooks run the project's pinned tools (untracked)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    _git(path, "add", "-f", *SUPPORT, *files)
    return path


def _pre_commit(
    repo: Path, *args: str, skip: str = DBT_HOOKS, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"),
        "SKIP": skip,
        "PRE_COMMIT_COLOR": "never",
        **(extra_env or {}),
    }
    return subprocess.run(
        [str(PRE_COMMIT), "run", "--all-files", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_clean_repository_passes_every_fast_hook(tmp_path: Path) -> None:
    repo = _make_repo(
        tmp_path / "repo",
        {
            ".github/workflows/ok.yml": WORKFLOW_OK,
            "docs/notes.md": "# Notes\n\nKeys live in the secret store.\n",
            "pkg/mod.py": '"""A module."""\n\nVALUE = 1\n',
        },
    )
    for name in (
        ".github/workflows/docker.yml",
        ".github/workflows/release.yml",
        "Dockerfile",
        "docker-compose.yml",
    ):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, repo / name)
        _git(repo, "add", name)
    result = _pre_commit(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    for hook in ("check-private-keys", "detect-secrets", "check-yaml", "check-github-workflows", "hadolint"):
        line = next(line for line in result.stdout.splitlines() if line.startswith(_hook_name(hook)))
        assert line.endswith("Passed"), line


def _hook_name(hook_id: str) -> str:
    import yaml

    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {h["id"]: h["name"] for repo in config["repos"] for h in repo["hooks"]}
    return str(hooks[hook_id])


def test_planted_encrypted_private_key_is_caught(tmp_path: Path) -> None:
    repo = _make_repo(
        tmp_path / "repo",
        {
            "dbt/profiles.yml": f"dev:\n  private_key: |\n    {KEY_HEADER}\n    MIIFHzBJBgkqhkiG9w0BBQ0wPDAbBgkqhkiG\n"
        },
    )
    result = _pre_commit(repo, "check-private-keys")
    assert result.returncode == 1
    assert f"dbt/profiles.yml:3: private key block {KEY_HEADER}" in result.stdout


def test_committing_a_p8_key_file_is_refused(tmp_path: Path) -> None:
    repo = _make_repo(tmp_path / "repo", {"keys/rsa_key.p8": "binary-ish DER content, no PEM header\n"})
    result = _pre_commit(repo, "check-private-keys")
    assert result.returncode == 1
    assert "keys/rsa_key.p8: key files (*.p8, *.pem, *.p12, *.pfx) must not be committed" in result.stdout


def test_new_secret_not_in_the_baseline_is_caught(tmp_path: Path) -> None:
    secret = "AKIA" + "ZZZZ2345ABCDWXYZ"
    repo = _make_repo(tmp_path / "repo", {"deploy.env": f"AWS_ACCESS_KEY_ID={secret}\n"})
    result = _pre_commit(repo, "detect-secrets")
    assert result.returncode == 1
    assert "AWS Access Key" in result.stdout and "deploy.env" in result.stdout


def test_workflow_job_without_timeout_is_caught(tmp_path: Path) -> None:
    repo = _make_repo(
        tmp_path / "repo",
        {".github/workflows/ci.yml": WORKFLOW_OK.replace("    timeout-minutes: 5\n", "")},
    )
    result = _pre_commit(repo, "github-workflows-require-timeout")
    assert result.returncode == 1
    assert "timeout-minutes" in result.stdout


def test_duplicate_yaml_key_is_caught(tmp_path: Path) -> None:
    repo = _make_repo(tmp_path / "repo", {"dbt/models/schema.yml": "version: 2\nmodels: []\nmodels: []\n"})
    result = _pre_commit(repo, "check-yaml")
    assert result.returncode == 1
    assert 'found duplicate key "models"' in result.stdout


# --- SQLFluff with the dbt templater, on a small dbt project using the real profiles.yml (local_dev) -----

DBT_PROJECT = """\
name: hook_check
version: "1.0.0"
profile: pipelineops_demo
model-paths: ["models"]
"""
SQLFLUFF = """\
[sqlfluff]
templater = dbt
dialect = snowflake
max_line_length = 110

[sqlfluff:templater:dbt]
project_dir = ./
profiles_dir = ./
profile = pipelineops_demo
target = local_dev
"""
GOOD_MODEL = "select\n    1 as order_id,\n    'open' as status\n"
BAD_MODEL = "SELECT 1 as order_id,'open' AS Status\n"


def _read_or(path: Path, fallback: str) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else fallback


def test_sqlfluff_hook_lints_dbt_models_with_the_dbt_templater(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    repo = _make_repo(
        tmp_path / "repo",
        {
            "dbt/dbt_project.yml": DBT_PROJECT,
            # the reference project's own SQLFluff settings when they exist (they are what the hook enforces)
            "dbt/.sqlfluff": _read_or(ROOT / "dbt" / ".sqlfluff", SQLFLUFF),
            "dbt/profiles.yml": (ROOT / "dbt" / "profiles.yml").read_text(encoding="utf-8"),
            "dbt/models/good_orders.sql": GOOD_MODEL,
            "dbt/models/bad_orders.sql": BAD_MODEL,
        },
    )
    extensions = tmp_path_factory.mktemp("duckdb_extensions")
    result = _pre_commit(
        repo,
        "sqlfluff-lint",
        skip="",
        extra_env={"PIPELINEOPS_DUCKDB_EXTENSION_DIR": str(extensions)},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "[dbt templater]" in output, "the dbt templater did not run"
    assert "== [models/bad_orders.sql] FAIL" in output
    assert "CP01" in output  # capitalisation: SELECT vs as
    assert "good_orders.sql] FAIL" not in output
    assert not (repo / ".pipelineops").exists(), "the hook touched a real warehouse directory"


def test_dbt_parse_hook_catches_a_ref_to_a_missing_model(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    repo = _make_repo(
        tmp_path / "repo",
        {
            "dbt/dbt_project.yml": DBT_PROJECT,
            "dbt/profiles.yml": (ROOT / "dbt" / "profiles.yml").read_text(encoding="utf-8"),
            "dbt/models/orders.sql": GOOD_MODEL,
            "dbt/models/revenue.sql": "select order_id from {{ ref('orderz') }}\n",
        },
    )
    extensions = {"PIPELINEOPS_DUCKDB_EXTENSION_DIR": str(tmp_path_factory.mktemp("duckdb_extensions"))}
    result = _pre_commit(repo, "dbt-parse", skip="", extra_env=extensions)
    assert result.returncode == 1, result.stdout
    assert "orderz" in result.stdout and "was not found" in result.stdout
    (repo / "dbt" / "models" / "revenue.sql").write_text("select order_id from {{ ref('orders') }}\n")
    fixed = _pre_commit(repo, "dbt-parse", skip="", extra_env=extensions)
    assert fixed.returncode == 0, fixed.stdout


def test_repository_sqlfluff_config_uses_the_dbt_templater_and_local_dev() -> None:
    config = ROOT / "dbt" / ".sqlfluff"
    if not config.exists():
        pytest.skip("dbt/.sqlfluff is not in this checkout yet")
    import configparser

    parser = configparser.ConfigParser()
    parser.read(config, encoding="utf-8")
    assert parser.get("sqlfluff", "templater") == "dbt"
    assert parser.get("sqlfluff", "dialect") == "snowflake"
    target = parser.get("sqlfluff:templater:dbt", "target", fallback="local_dev")
    assert target == "local_dev", "hooks run offline: lint through the duckdb local_dev target"


# --- .pre-commit-hooks.yaml, as a consumer repository uses it (repo: <git url>, rev: <sha>) ------------


def test_consumer_repository_uses_our_published_hook(tmp_path: Path) -> None:
    validate = subprocess.run(
        [str(PRE_COMMIT), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr

    hooks_repo = tmp_path / "pipelineops"
    hooks_repo.mkdir()
    _git(hooks_repo, "init", "-q", "-b", "main")
    for name in (".pre-commit-hooks.yaml", "scripts/check_private_keys.py"):
        (hooks_repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, hooks_repo / name)
        _git(hooks_repo, "add", name)
    _git(hooks_repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "hooks")
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hooks_repo, capture_output=True, text=True, check=True
    ).stdout.strip()

    consumer = tmp_path / "consumer"
    consumer.mkdir()
    _git(consumer, "init", "-q", "-b", "main")
    (consumer / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks_repo.as_uri()}\n    rev: {sha}\n    hooks:\n      - id: check-private-keys\n",
        encoding="utf-8",
    )
    (consumer / "models").mkdir()
    (consumer / "models" / "orders.sql").write_text("select 1 as id\n", encoding="utf-8")
    _git(consumer, "add", ".pre-commit-config.yaml", "models/orders.sql")
    clean = _pre_commit(consumer, skip="")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    (consumer / "rsa_key.pem").write_text(f"{KEY_HEADER}\nMIIF\n", encoding="utf-8")
    _git(consumer, "add", "rsa_key.pem")
    leaked = _pre_commit(consumer, skip="")
    assert leaked.returncode == 1
    assert "rsa_key.pem: key files" in leaked.stdout
    assert f"rsa_key.pem:1: private key block {KEY_HEADER}" in leaked.stdout
