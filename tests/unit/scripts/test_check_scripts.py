"""scripts/check_private_keys.py and scripts/check_yaml.py, called as pre-commit calls them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
KEYS = ROOT / "scripts" / "check_private_keys.py"
YAML = ROOT / "scripts" / "check_yaml.py"
# Built at runtime so that this file itself holds no key header.
BEGIN = "-----BEGIN "
END_MARK = "PRIVATE KEY-----"


def _run(script: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *map(str, files)], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("kind", ["ENCRYPTED ", "", "RSA ", "EC ", "OPENSSH "])
def test_every_pem_private_key_header_is_rejected_with_its_line(tmp_path: Path, kind: str) -> None:
    leaked = tmp_path / "profiles.yml"
    leaked.write_text(f"dev:\n  private_key: |\n    {BEGIN}{kind}{END_MARK}\n    MIIE...\n", encoding="utf-8")
    result = _run(KEYS, leaked)
    assert result.returncode == 1
    assert f"{leaked}:3: private key block {BEGIN}{kind}{END_MARK}" in result.stderr
    assert "fix: remove the file from the commit" in result.stderr


@pytest.mark.parametrize("name", ["rsa_key.p8", "snowflake.PEM", "bundle.p12", "cert.pfx"])
def test_key_files_are_rejected_by_name(tmp_path: Path, name: str) -> None:
    key = tmp_path / name
    key.write_bytes(b"\x30\x82\x04\xbe")  # DER: binary, no PEM header
    result = _run(KEYS, key)
    assert result.returncode == 1
    assert f"{key}: key files" in result.stderr


def test_public_keys_and_ordinary_files_pass(tmp_path: Path) -> None:
    public = tmp_path / "rsa_key.pub"
    public.write_text("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n", encoding="utf-8")
    doc = tmp_path / "notes.md"
    doc.write_text(
        "Generate the key with openssl genrsa 2048 | openssl pkcs8 -topk8 -v2 des3\n", encoding="utf-8"
    )
    result = _run(KEYS, public, doc, KEYS)
    assert (result.returncode, result.stderr) == (0, "")


def test_check_yaml_rejects_duplicate_keys_and_syntax_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.yml"
    good.write_text("a: &x {b: 1}\nc:\n  <<: *x\n---\nsecond: doc\n", encoding="utf-8")
    dup = tmp_path / "dup.yml"
    dup.write_text("jobs:\n  test: {}\n  test: {}\n", encoding="utf-8")
    broken = tmp_path / "broken.yml"
    broken.write_text("a: [1\n", encoding="utf-8")
    assert _run(YAML, good).returncode == 0
    result = _run(YAML, good, dup, broken)
    assert result.returncode == 1
    assert 'found duplicate key "test"' in result.stderr
    assert f"{broken}:" in result.stderr
    assert f"{good}:" not in result.stderr
