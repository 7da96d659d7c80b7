"""``pipelineops.yml``: the repo's own file loads; every malformed file is a one-line ``UserError`` (exit 2)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pipelineops.config import Config, load_config, parse_config
from pipelineops.config.load import schema
from pipelineops.errors import EXIT_USER_ERROR, UserError

REPO_ROOT = Path(__file__).resolve().parents[3]
REPO_CONFIG = REPO_ROOT / "pipelineops.yml"

MINIMAL: dict[str, Any] = {
    "version": 1,
    "layout": {"consumer_schemas": ["MARTS"]},
    "environments": {"dev": {"engine": "duckdb", "dbt_target": "local_dev"}},
}
SNOWFLAKE_ENV: dict[str, Any] = {
    "engine": "snowflake",
    "dbt_target": "prod",
    "database": "ANALYTICS",
    "snowflake": {"account": "myorg-acct", "user": "DEPLOYER", "role": "DEPLOYER", "warehouse": "CI_WH"},
}


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "pipelineops.yml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def _error(tmp_path: Path, data: object) -> UserError:
    with pytest.raises(UserError) as info:
        load_config(_write(tmp_path, data))
    return info.value


def _assert_one_line(exc: UserError, *needles: str) -> None:
    """A user error: exit 2, one line of cause naming the field and value, a fix, no traceback text."""
    assert exc.exit_code == EXIT_USER_ERROR == 2
    assert "\n" not in exc.what
    for needle in needles:
        assert needle in exc.what, f"{needle!r} not in {exc.what!r}"
    assert exc.fix
    assert "Traceback" not in exc.render()


def _with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    data.update(changes)
    return data


# --- valid files -----------------------------------------------------------------------------------


def test_repo_config_loads_with_its_values() -> None:
    """Every value of the repository's own file reaches the typed config."""
    raw = yaml.safe_load(REPO_CONFIG.read_text(encoding="utf-8"))
    cfg = load_config(REPO_CONFIG)
    assert cfg.path == REPO_CONFIG.resolve()
    assert cfg.root == REPO_ROOT
    assert cfg.project_dir == REPO_ROOT / raw["dbt"]["project_dir"]
    assert cfg.consumer_schemas == tuple(s.upper() for s in raw["layout"]["consumer_schemas"])
    assert cfg.journal_schema == raw["layout"]["journal_schema"].upper()
    assert set(cfg.environments) == set(raw["environments"])
    for name, env in raw["environments"].items():
        got = cfg.environment(name)
        assert (got.name, got.engine, got.dbt_target) == (name, env["engine"], env["dbt_target"])
        if env["engine"] == "duckdb":
            local = env.get("local_dir", f".pipelineops/warehouse/{name}")
            assert (got.database, got.local_dir, got.snowflake) == ("lake", REPO_ROOT / local, None)
    delta = raw["checks"]["row_count_delta"]
    assert (cfg.checks.row_count_warn_pct, cfg.checks.row_count_fail_pct) == (
        delta["warn_pct"],
        delta["fail_pct"],
    )
    assert (cfg.checks.dbt_tests, cfg.checks.non_empty, cfg.checks.contract) == (
        raw["checks"]["dbt_tests"],
        raw["checks"]["non_empty"],
        raw["checks"]["contract"],
    )


def test_repo_config_round_trips_through_yaml(tmp_path: Path) -> None:
    """Dumping the parsed YAML and loading it again gives the same typed config (paths aside)."""
    raw = yaml.safe_load(REPO_CONFIG.read_text(encoding="utf-8"))
    again = load_config(_write(tmp_path, yaml.safe_dump(raw)))
    first = load_config(REPO_CONFIG)
    assert again.environments.keys() == first.environments.keys()
    for name in first.environments:
        a, b = first.environments[name], again.environments[name]
        assert (a.engine, a.dbt_target, a.database) == (b.engine, b.dbt_target, b.database)
    assert (again.consumer_schemas, again.journal_schema, again.checks) == (
        first.consumer_schemas,
        first.journal_schema,
        first.checks,
    )


def test_defaults_of_a_minimal_file(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, {"version": 1, "environments": MINIMAL["environments"]}))
    assert cfg.consumer_schemas == ("MARTS",)
    assert (cfg.journal_schema, cfg.raw_schema) == ("PIPELINEOPS", "RAW")
    assert cfg.project_dir == tmp_path.resolve() / "dbt"
    assert cfg.checks.freshness is False
    assert cfg.favor_state and cfg.clone_incremental_parents
    assert (cfg.cleanup_max_age_hours, cfg.require_reason_in, cfg.keep_aside_hours) == (168, ("prod",), 72)


def test_every_section_is_read(tmp_path: Path) -> None:
    data = _with(
        dbt={"project_dir": "transform", "profiles_dir": "profiles"},
        layout={"consumer_schemas": ["marts", "Finance"], "journal_schema": "ops", "raw_schema": "landing"},
        checks={
            "dbt_tests": False,
            "row_count_delta": {"warn_pct": 5, "fail_pct": 5},
            "non_empty": False,
            "contract": False,
            "freshness": True,
        },
        slim_ci={"favor_state": False, "clone_incremental_parents": False},
        cleanup={"max_age_hours": 24},
        rollback={"require_reason_in": ["staging", "prod"], "keep_aside_hours": 12},
    )
    data["environments"]["prod"] = SNOWFLAKE_ENV
    data["environments"]["dev"]["local_dir"] = "wh"
    cfg = load_config(_write(tmp_path, data))
    root = tmp_path.resolve()
    assert (cfg.project_dir, cfg.profiles_dir) == (root / "transform", root / "profiles")
    assert cfg.consumer_schemas == ("MARTS", "FINANCE")
    assert (cfg.journal_schema, cfg.raw_schema) == ("OPS", "LANDING")
    assert cfg.checks.row_count_warn_pct == cfg.checks.row_count_fail_pct == 5.0
    assert not (cfg.checks.dbt_tests or cfg.checks.non_empty or cfg.checks.contract)
    assert cfg.checks.freshness
    assert not (cfg.favor_state or cfg.clone_incremental_parents)
    assert (cfg.cleanup_max_age_hours, cfg.require_reason_in, cfg.keep_aside_hours) == (
        24,
        ("staging", "prod"),
        12,
    )
    assert cfg.environment("dev").local_dir == root / "wh"
    prod = cfg.environment("prod")
    assert (prod.engine, prod.database, prod.local_dir) == ("snowflake", "ANALYTICS", None)
    assert prod.snowflake is not None
    assert (prod.snowflake.account, prod.snowflake.auth, prod.snowflake.protocol) == (
        "myorg-acct",
        "key-pair",
        "https",
    )


# --- malformed files: one line, the field, the value, a fix ------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    exc = _error(tmp_path, _with(enviroments={}))
    _assert_one_line(exc, "pipelineops.yml", "unknown key 'enviroments'", "(top level)")
    assert "environments" in exc.fix


def test_unknown_nested_key(tmp_path: Path) -> None:
    data = _with()
    data["environments"]["dev"]["dbt_traget"] = "x"
    exc = _error(tmp_path, data)
    _assert_one_line(exc, "unknown key 'dbt_traget'", "environments.dev")
    assert "dbt_target" in exc.fix


def test_unknown_key_in_a_section(tmp_path: Path) -> None:
    exc = _error(tmp_path, _with(layout={"consumer_schema": ["MARTS"]}))
    _assert_one_line(exc, "unknown key 'consumer_schema'", "layout")
    assert "consumer_schemas" in exc.fix


def test_non_string_keys_are_reported_not_crashed_on(tmp_path: Path) -> None:
    """YAML allows ``1:`` and dates as keys; mixed with string keys they must still give a user error."""
    exc = _error(tmp_path, "version: 1\nenvironments: {dev: {engine: duckdb, dbt_target: x}}\n1: a\nfoo: b\n")
    _assert_one_line(exc, "unknown key '1'")
    exc = _error(
        tmp_path,
        "version: 1\nenvironments: {dev: {engine: duckdb, dbt_target: x}}\nlayout: {2020-01-01: x, b: c}\n",
    )
    _assert_one_line(exc, "unknown key '2020-01-01'", "layout")


@pytest.mark.parametrize(
    ("change", "field", "shown"),
    [
        ({"checks": {"dbt_tests": "yes"}}, "checks.dbt_tests", '"yes"'),
        ({"layout": "MARTS"}, "layout", '"MARTS"'),
        ({"cleanup": {"max_age_hours": 1.5}}, "cleanup.max_age_hours", "1.5"),
        ({"checks": {"row_count_delta": {"warn_pct": "ten"}}}, "checks.row_count_delta.warn_pct", '"ten"'),
    ],
)
def test_wrong_type_names_field_value_and_type(
    tmp_path: Path, change: dict[str, Any], field: str, shown: str
) -> None:
    exc = _error(tmp_path, _with(**change))
    _assert_one_line(exc, field, shown, "must be of type")


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    _assert_one_line(_error(tmp_path, "- just\n- a list\n"), "(top level)", "must be of type object")


def test_missing_environments(tmp_path: Path) -> None:
    exc = _error(tmp_path, {"version": 1})
    _assert_one_line(exc, "missing a required key", "'environments'")


def test_empty_environments(tmp_path: Path) -> None:
    _assert_one_line(_error(tmp_path, _with(environments={})), "environments")


def test_missing_engine(tmp_path: Path) -> None:
    exc = _error(tmp_path, _with(environments={"dev": {"dbt_target": "local_dev"}}))
    _assert_one_line(exc, "environments.dev", "missing a required key", "'engine'")


def test_unknown_engine(tmp_path: Path) -> None:
    exc = _error(tmp_path, _with(environments={"dev": {"engine": "postgres", "dbt_target": "x"}}))
    _assert_one_line(exc, "environments.dev.engine", '"postgres"', "duckdb, snowflake")
    assert "duckdb" in exc.fix


def test_unknown_environment_name(tmp_path: Path) -> None:
    exc = _error(tmp_path, _with(environments={"qa": {"engine": "duckdb", "dbt_target": "x"}}))
    _assert_one_line(exc, "environments", '"qa"')
    assert "dev" in exc.fix and "prod" in exc.fix


def test_wrong_version(tmp_path: Path) -> None:
    _assert_one_line(_error(tmp_path, _with(version=2)), "version", "2")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('MA"RTS', 'MA\\"RTS'),
        ("MARTS;DROP", "MARTS;DROP"),
        ("MY MARTS", "MY MARTS"),
        ("M\u0410RTS", "M\\u0410RTS"),  # Cyrillic capital A, a look-alike of the Latin one
        ("A" * 300, "A" * 20),
        ("1MARTS", "1MARTS"),
    ],
    ids=["quote", "semicolon", "space", "cyrillic-lookalike", "300-chars", "leading-digit"],
)
def test_consumer_schema_must_be_a_plain_identifier(tmp_path: Path, name: str, shown: str) -> None:
    exc = _error(tmp_path, _with(layout={"consumer_schemas": ["MARTS", name]}))
    _assert_one_line(exc, "layout.consumer_schemas.1", shown, "not an allowed name")
    assert "letters, digits and underscores" in exc.fix
    assert len(exc.what) < 200  # a 300-character value is shortened


def test_longest_allowed_identifier_is_accepted(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, _with(layout={"consumer_schemas": ["A" * 128]})))
    assert cfg.consumer_schemas == ("A" * 128,)
    exc = _error(tmp_path, _with(layout={"consumer_schemas": ["A" * 129]}))
    _assert_one_line(exc, "layout.consumer_schemas.0")


def test_invalid_yaml_reports_line_and_column(tmp_path: Path) -> None:
    exc = _error(tmp_path, "version: 1\nenvironments:\n  dev: {engine: duckdb\n  prod: x\n")
    _assert_one_line(exc, "pipelineops.yml is not valid YAML at line 4, column")
    assert exc.why


def test_bad_indentation_reports_line_and_column(tmp_path: Path) -> None:
    exc = _error(tmp_path, "version: 1\nenvironments: {dev: {engine: duckdb, dbt_target: x}}\n  bad: x\n")
    _assert_one_line(exc, "not valid YAML at line 3, column 3")


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "pipelineops.yml"
    path.write_bytes(b"version: 1\nenvironments: {dev: {engine: duckdb, dbt_target: \xff}}\n")
    with pytest.raises(UserError) as info:
        load_config(path)
    _assert_one_line(info.value, "pipelineops.yml is not UTF-8")


@pytest.mark.parametrize("text", ["", "# nothing but a comment\n", "---\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    _assert_one_line(_error(tmp_path, text), "pipelineops.yml is empty")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        load_config(tmp_path / "nope.yml")
    _assert_one_line(info.value, "nope.yml", "not found")
    assert "--config" in info.value.fix


def test_snowflake_environment_without_snowflake_block(tmp_path: Path) -> None:
    env = {k: v for k, v in SNOWFLAKE_ENV.items() if k != "snowflake"}
    exc = _error(tmp_path, _with(environments={"prod": env}))
    _assert_one_line(exc, "environments.prod", "engine snowflake", "no `snowflake:` block")
    assert "environments.prod.snowflake" in exc.fix


def test_duckdb_environment_with_snowflake_block(tmp_path: Path) -> None:
    env = {"engine": "duckdb", "dbt_target": "x", "snowflake": SNOWFLAKE_ENV["snowflake"]}
    exc = _error(tmp_path, _with(environments={"dev": env}))
    _assert_one_line(exc, "environments.dev", "engine duckdb", "`snowflake:` block")


def test_snowflake_environment_without_database(tmp_path: Path) -> None:
    env = {k: v for k, v in SNOWFLAKE_ENV.items() if k != "database"}
    _assert_one_line(_error(tmp_path, _with(environments={"prod": env})), "environments.prod", "no database")


def test_snowflake_environment_with_local_dir(tmp_path: Path) -> None:
    env = {**SNOWFLAKE_ENV, "local_dir": "wh"}
    _assert_one_line(_error(tmp_path, _with(environments={"prod": env})), "environments.prod.local_dir")


def test_snowflake_block_fields_are_checked(tmp_path: Path) -> None:
    env = copy.deepcopy(SNOWFLAKE_ENV)
    env["snowflake"]["role"] = "DEPLOYER; DROP"
    exc = _error(tmp_path, _with(environments={"prod": env}))
    _assert_one_line(exc, "environments.prod.snowflake.role", '"DEPLOYER; DROP"')


def test_warn_pct_above_fail_pct(tmp_path: Path) -> None:
    exc = _error(tmp_path, _with(checks={"row_count_delta": {"warn_pct": 60, "fail_pct": 50}}))
    _assert_one_line(exc, "checks.row_count_delta.warn_pct (60)", "fail_pct (50)")


def test_warn_pct_above_default_fail_pct(tmp_path: Path) -> None:
    exc = _error(tmp_path, _with(checks={"row_count_delta": {"warn_pct": 51}}))
    _assert_one_line(exc, "warn_pct (51)", "fail_pct (50)")


def test_warn_pct_equal_to_fail_pct_is_allowed(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, _with(checks={"row_count_delta": {"warn_pct": 50, "fail_pct": 50}})))
    assert cfg.checks.row_count_warn_pct == cfg.checks.row_count_fail_pct == 50.0


def test_nan_threshold_is_refused(tmp_path: Path) -> None:
    """``.nan`` passes ``minimum: 0`` but would make every comparison false: the gate would never fire."""
    text = "version: 1\nenvironments: {dev: {engine: duckdb, dbt_target: x}}\n"
    exc = _error(tmp_path, text + "checks: {row_count_delta: {warn_pct: .nan}}\n")
    _assert_one_line(exc, "checks.row_count_delta", ".nan")
    exc = _error(tmp_path, text + "checks: {row_count_delta: {fail_pct: .nan}}\n")
    _assert_one_line(exc, "checks.row_count_delta")


def test_negative_threshold(tmp_path: Path) -> None:
    exc = _error(tmp_path, _with(checks={"row_count_delta": {"warn_pct": -1}}))
    _assert_one_line(exc, "checks.row_count_delta.warn_pct", "-1")


def test_parse_config_rejects_none(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is empty"):
        parse_config(None, path=tmp_path / "pipelineops.yml")


# --- Config.environment ------------------------------------------------------------------------------


def test_environment_that_is_not_configured(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, MINIMAL))
    assert cfg.environment("dev").name == "dev"
    with pytest.raises(UserError) as info:
        cfg.environment("prod")
    exc = info.value
    _assert_one_line(exc, "environment 'prod' is not configured in pipelineops.yml", "(configured: dev)")
    assert "prod:" in exc.fix and "engine: duckdb" in exc.fix


def test_environment_with_no_environments_at_all(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, MINIMAL))
    empty = Config(**{**cfg.__dict__, "environments": {}})
    with pytest.raises(UserError, match=r"configured: none"):
        empty.environment("dev")


# --- the shipped JSON Schema -------------------------------------------------------------------------


def _properties(node: object, where: str = "$") -> list[tuple[str, dict[str, Any]]]:
    """Every (path, subschema) under a ``properties`` mapping, anywhere in the schema."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            found.append((f"{where}.{name}", sub))
        for key, sub in node.items():
            found += _properties(sub, f"{where}.{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            found += _properties(sub, f"{where}[{i}]")
    return found


def test_schema_is_valid_draft_2020_12() -> None:
    doc = schema()
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(doc)


def test_schema_documents_every_property() -> None:
    """Editors show ``description`` on hover: every property carries its own (a ``$ref`` one too)."""
    props = _properties(schema())
    assert len(props) > 30
    missing = [where for where, sub in props if not str(sub.get("description", "")).strip()]
    assert not missing, f"properties without a description: {missing}"


def test_repo_config_validates_against_the_schema() -> None:
    raw = yaml.safe_load(REPO_CONFIG.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema()).validate(raw)


def test_layout_reader_roles_default_to_none_and_are_upper_cased(tmp_path: Path) -> None:
    assert load_config(_write(tmp_path, _with())).reader_roles == ()
    cfg = load_config(_write(tmp_path, _with(layout={"reader_roles": ["prod_reporter", "FINANCE_READER"]})))
    assert cfg.reader_roles == ("PROD_REPORTER", "FINANCE_READER")
    _assert_one_line(
        _error(tmp_path, _with(layout={"reader_roles": ["PROD REPORTER"]})), "layout.reader_roles.0"
    )
    _assert_one_line(_error(tmp_path, _with(layout={"reader_roles": "PROD_REPORTER"})), "layout.reader_roles")


def test_reader_roles_are_per_environment_with_the_layout_as_deprecated_default(tmp_path: Path) -> None:
    data = _with(layout={"reader_roles": ["prod_reporter"]})
    data["environments"] = {
        "dev": {"engine": "duckdb", "dbt_target": "local_dev", "reader_roles": ["dev_reporter"]},
        "staging": {"engine": "duckdb", "dbt_target": "local_staging", "reader_roles": []},
        "prod": {"engine": "duckdb", "dbt_target": "local_prod"},
    }
    cfg = load_config(_write(tmp_path, data))
    assert cfg.environment("dev").reader_roles == ("DEV_REPORTER",)
    assert cfg.environment("staging").reader_roles == ()  # an explicit empty list is not the default
    assert cfg.environment("prod").reader_roles == ("PROD_REPORTER",)  # layout.reader_roles, deprecated
    assert cfg.reader_roles == ("PROD_REPORTER",)
    data["environments"]["dev"]["reader_roles"] = ["DEV REPORTER"]
    _assert_one_line(_error(tmp_path, data), "environments.dev.reader_roles.0")


def test_slim_ci_reads_production_as_the_pull_request_identity(tmp_path: Path) -> None:
    def sf(user: str, role: str) -> dict[str, str]:
        return {"account": "org-acct", "user": user, "role": role, "warehouse": "DEV_CI_WH"}

    data = _with()
    data["environments"] = {
        "dev": {"engine": "snowflake", "dbt_target": "dev", "database": "DEV_ANALYTICS",
                "snowflake": sf("DEV_PIPELINEOPS_PR_CI", "DEV_PR_CI")},
        "prod": {"engine": "snowflake", "dbt_target": "prod", "database": "PROD_ANALYTICS",
                 "snowflake": sf("PROD_PIPELINEOPS_DEPLOY", "PROD_DEPLOYER")},
    }  # fmt: skip
    cfg = load_config(_write(tmp_path, data))
    reading = cfg.connecting_as("prod", "dev").environment("prod")
    assert reading.database == "PROD_ANALYTICS"  # prod's data ...
    assert (
        reading.snowflake is not None and reading.snowflake.user == "DEV_PIPELINEOPS_PR_CI"
    )  # ... as the PR user
    assert reading.snowflake.role == "DEV_PR_CI"
    assert cfg.environment("prod").snowflake.role == "PROD_DEPLOYER"  # type: ignore[union-attr]  # unchanged
    data["environments"] = {
        "dev": {"engine": "duckdb", "dbt_target": "local_dev"},
        "prod": {"engine": "duckdb", "dbt_target": "local_prod"},
    }
    local = load_config(_write(tmp_path, data))
    assert local.connecting_as("prod", "dev") is local  # the local engine has no identities


# --- slim_ci.diff ------------------------------------------------------------------------------------


def test_slim_ci_diff_defaults_and_every_key_is_read(tmp_path: Path) -> None:
    from pipelineops.config.model import DataDiffConfig

    cfg = load_config(_write(tmp_path, _with()))
    assert cfg.slim_ci_diff == DataDiffConfig()
    assert cfg.slim_ci_diff.enabled and cfg.slim_ci_diff.threshold == 1_000_000
    diff = {
        "enabled": False,
        "keys": {"fct_orders": ["order_id"], "dim_x": ["a", "b"]},
        "threshold": 500,
        "budget_seconds": 30,
        "sensitive": ["dim_customers.email", "ssn"],
        "examples": 0,
    }
    cfg = load_config(_write(tmp_path, _with(slim_ci={"diff": diff})))
    assert cfg.slim_ci_diff == DataDiffConfig(
        enabled=False,
        keys=(("dim_x", ("a", "b")), ("fct_orders", ("order_id",))),
        threshold=500,
        budget_seconds=30,
        sensitive=("dim_customers.email", "ssn"),
        examples=0,
    )
    assert cfg.slim_ci_diff.keys_by_model()["fct_orders"] == ("order_id",)


@pytest.mark.parametrize(
    "diff",
    [
        {"sensitive": ["a.b.c"]},
        {"sensitive": ["email; DROP"]},
        {"keys": {"fct_orders": []}},
        {"keys": {"fct orders": ["id"]}},
        {"threshold": 0},
        {"budget_seconds": -1},
        {"examples": 100},
        {"sampling": True},
    ],
)
def test_slim_ci_diff_bad_values_are_refused(tmp_path: Path, diff: dict[str, Any]) -> None:
    exc = _error(tmp_path, _with(slim_ci={"diff": diff}))
    assert exc.exit_code == 2 and "slim_ci" in exc.render()


def test_deploy_mode_defaults_to_slim_and_reads_full(tmp_path: Path) -> None:
    base = {"version": 1, "environments": MINIMAL["environments"]}
    assert load_config(_write(tmp_path, base)).deploy_mode == "slim"
    assert load_config(_write(tmp_path, {**base, "deploy": {"mode": "full"}})).deploy_mode == "full"
    assert _error(tmp_path, {**base, "deploy": {"mode": "fast"}}).what == (
        'pipelineops.yml: deploy.mode = "fast" is not one of slim, full'
    )
