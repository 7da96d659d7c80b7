"""The action input contract: PIPELINEOPS_IN_<NAME> env vars → pipelineops argv, driven by action.yml."""

from __future__ import annotations

import argparse
import io
import re
from pathlib import Path

import pytest
import yaml

from pipelineops import action_inputs as ai
from pipelineops.cli import build_parser
from pipelineops.errors import UserError

REPO = Path(__file__).resolve().parents[2]
# actions/setup installs the CLI for a reusable workflow's own steps (`$/actions/setup`); it runs no stage
ACTIONS = sorted(p.parent.name for p in (REPO / "actions").glob("*/action.yml") if p.parent.name != "setup")
OURS = ("bluegreen-swap", "rollback")
RUN_STEP = '"${GITHUB_ACTION_PATH}/../../scripts/run-stage.sh" '


def inputs_of(stage: str) -> tuple[ai.ActionInput, ...]:
    return ai.load_action_inputs(REPO / "actions" / stage / "action.yml")


def argv_for(stage: str, **values: str) -> list[str]:
    env = {ai.env_name(k.replace("_", "-")): v for k, v in values.items()}
    return ai.build_argv(stage, inputs_of(stage), env)


def parse(argv: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(argv)


# --- the parsers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["true", "TRUE", "True", "1", "yes", "YES", " true ", "yes\n"])
def test_parse_bool_accepts_true_spellings(raw: str) -> None:
    assert ai.parse_bool("dry-run", raw) is True


@pytest.mark.parametrize("raw", ["false", "FALSE", "0", "no", "No", " false\n"])
def test_parse_bool_accepts_false_spellings(raw: str) -> None:
    assert ai.parse_bool("dry-run", raw) is False


@pytest.mark.parametrize(
    "raw", ["maybe", "on", "off", "y", "n", "2", "-1", "ture", "true;rm -rf /", "", "t rue"]
)
def test_parse_bool_rejects_anything_else_naming_the_input(raw: str) -> None:
    with pytest.raises(UserError) as err:
        ai.parse_bool("force-unlock", raw)
    assert "`force-unlock` must be a boolean" in err.value.what
    assert "force-unlock: 'true'" in err.value.fix


def test_parse_choice_is_exact_and_suggests_the_right_case() -> None:
    assert ai.parse_choice("mode", " time-travel ", ["republish", "time-travel"]) == "time-travel"
    with pytest.raises(UserError) as err:
        ai.parse_choice("mode", "Republish", ["republish", "time-travel"])
    assert "did you mean 'republish'" in err.value.what
    with pytest.raises(UserError) as err:
        ai.parse_choice("mode", "republish; drop schema", ["republish", "time-travel"])
    assert "must be one of republish, time-travel" in err.value.what
    assert "did you mean" not in err.value.what


@pytest.mark.parametrize(("raw", "expected"), [("10", "10"), (" -3600 ", "-3600"), ("0", "0")])
def test_parse_int_accepts_integers(raw: str, expected: str) -> None:
    assert ai.parse_int("offset", raw) == expected


@pytest.mark.parametrize("raw", ["1.5", "0x10", "ten", "1e3", "--1", "5 minutes"])
def test_parse_int_rejects_non_integers(raw: str) -> None:
    with pytest.raises(UserError, match="`offset` must be an integer"):
        ai.parse_int("offset", raw)


def test_parse_list_splits_like_a_shell_without_running_anything() -> None:
    assert ai.parse_list("args", "--select 'tag:a b' $(touch /tmp/x) `id`") == [
        "--select",
        "tag:a b",
        "$(touch",
        "/tmp/x)",
        "`id`",
    ]
    with pytest.raises(UserError, match="`args` is not a valid list"):
        ai.parse_list("args", "--select 'unclosed")


def test_env_name_is_the_prefixed_upper_snake_case_of_the_input() -> None:
    assert ai.env_name("dry-run") == "PIPELINEOPS_IN_DRY_RUN"
    assert ai.env_name("before-statement") == "PIPELINEOPS_IN_BEFORE_STATEMENT"
    assert ai.ActionInput("to").env == "PIPELINEOPS_IN_TO"


# --- our action.yml files -----------------------------------------------------------------------------


def test_every_action_folder_is_a_cli_stage() -> None:
    assert set(OURS) <= set(ACTIONS)
    for stage in ACTIONS:
        ai.stage_options(stage)  # raises for a folder that names no stage


@pytest.mark.parametrize("stage", OURS)
def test_action_passes_every_input_through_env_and_runs_only_run_stage(stage: str) -> None:
    doc = yaml.safe_load((REPO / "actions" / stage / "action.yml").read_text(encoding="utf-8"))
    steps = doc["runs"]["steps"]
    assert doc["runs"]["using"] == "composite"
    assert len(steps) == 1
    step = steps[0]
    assert step["run"] == RUN_STEP + stage
    expected = {ai.env_name(name): f"${{{{ inputs.{name} }}}}" for name in doc["inputs"]}
    assert step["env"] == expected
    for name, spec in doc["inputs"].items():
        assert name == name.lower() and "_" not in name, name
        assert isinstance(spec["default"], str), f"{name}: default must be a quoted string"
        assert len(spec["description"]) > 20, name
    for name, spec in doc["outputs"].items():
        assert spec["description"], name
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}"


@pytest.mark.parametrize("stage", ACTIONS)
def test_every_input_of_every_action_maps_to_a_cli_option(stage: str) -> None:
    options = ai.stage_options(stage)
    for spec in inputs_of(stage):
        assert ai._find(options, spec.name) is not None, spec.name
    # all defaults applied: the argv parses, and the action's defaults equal the CLI's meaning
    defaults = {ai.env_name(i.name): i.default for i in inputs_of(stage)}
    ns = parse(ai.build_argv(stage, inputs_of(stage), defaults))
    assert ns.stage == stage
    assert not getattr(ns, "dry_run", False)


def test_bluegreen_swap_argv_from_the_real_action_yml() -> None:
    argv = argv_for(
        "bluegreen-swap",
        config="analytics/pipelineops.yml",
        env="staging",
        dry_run="Yes",
        deploy_id="gh-42-1",
        git_sha="abc123",
        force_unlock="no",
        vars="{start: '2026-01-01'}",
        json="1",
        debug="false",
    )
    assert argv == [
        "bluegreen-swap",
        "--config=analytics/pipelineops.yml",
        "--env=staging",
        "--dry-run",
        "--deploy-id=gh-42-1",
        "--git-sha=abc123",
        "--vars={start: '2026-01-01'}",
        "--json",
    ]
    ns = parse(argv)
    assert (ns.env, ns.dry_run, ns.json, ns.deploy_id, ns.force_unlock) == (
        "staging",
        True,
        True,
        "gh-42-1",
        False,
    )
    assert ns.config == Path("analytics/pipelineops.yml")


def test_rollback_argv_from_the_real_action_yml() -> None:
    argv = argv_for(
        "rollback", env="prod", mode="time-travel", model="fct_orders", offset="-3600", reason="bad data"
    )
    ns = parse(argv)
    assert (ns.mode, ns.model, ns.offset, ns.reason, ns.env) == (
        "time-travel",
        "fct_orders",
        -3600,
        "bad data",
        "prod",
    )
    assert ns.to_deploy is None and ns.at is None


def test_empty_and_blank_values_mean_unset() -> None:
    assert argv_for("rollback", to="", reason="   ", mode="", dry_run="\n") == ["rollback"]


def test_enum_input_is_checked_against_the_cli_choices() -> None:
    with pytest.raises(UserError, match="`env` must be one of dev, staging, prod; got 'nope'"):
        argv_for("bluegreen-swap", env="nope")
    with pytest.raises(UserError, match="`mode` must be one of republish, time-travel"):
        argv_for("rollback", mode="undo")


def test_int_input_is_checked_before_the_cli_sees_it() -> None:
    with pytest.raises(UserError, match="`to-version` must be an integer, got 'latest'"):
        argv_for("rollback", to_version="latest")


def test_exclusive_inputs_are_refused_by_name() -> None:
    with pytest.raises(UserError) as err:
        argv_for("rollback", at="2026-11-25T08:00:00Z", offset="-60")
    assert err.value.what == "inputs `at` and `offset` cannot be used together"
    assert "at, offset, before-statement, to-version" in err.value.fix


@pytest.mark.parametrize(
    "hostile",
    ["--force-unlock", "-h", "x --force-unlock", "a\n--force-unlock", "$(touch /tmp/pwned)", "'; rm -rf / #"],
)
def test_hostile_values_stay_one_value(hostile: str) -> None:
    argv = argv_for("bluegreen-swap", deploy_id=hostile)
    assert argv == ["bluegreen-swap", f"--deploy-id={hostile.strip()}"]
    ns = parse(argv)
    assert ns.deploy_id == hostile.strip()
    assert ns.force_unlock is False


def test_only_pipelineops_in_variables_are_read() -> None:
    env = {"INPUT_DRY-RUN": "true", "INPUT_DRY_RUN": "true", "DRY_RUN": "true", "PIPELINEOPS_DRY_RUN": "true"}
    assert ai.build_argv("bluegreen-swap", inputs_of("bluegreen-swap"), env) == ["bluegreen-swap"]


def test_a_stray_pipelineops_in_variable_is_an_error() -> None:
    env = {"PIPELINEOPS_IN_DRYRUN": "true", "PIPELINEOPS_IN_DRY_RUN": "true"}
    with pytest.raises(UserError) as err:
        ai.build_argv("bluegreen-swap", inputs_of("bluegreen-swap"), env)
    assert "PIPELINEOPS_IN_DRYRUN set, but the bluegreen-swap action has no such input" in err.value.what
    assert "dry-run" in err.value.fix


def test_an_input_without_a_cli_option_is_an_error() -> None:
    with pytest.raises(UserError, match="`colour` has no matching option `--colour`"):
        ai.build_argv("bluegreen-swap", [ai.ActionInput("colour")], {})


def test_required_inputs_must_not_be_empty() -> None:
    with pytest.raises(UserError, match="input `reason` is required by the rollback action and is empty"):
        ai.build_argv("rollback", [ai.ActionInput("reason", required=True)], {ai.env_name("reason"): " "})
    # required by the CLI itself (slim-ci --pr), even when action.yml forgot `required: true`
    with pytest.raises(UserError, match="input `pr` is required"):
        ai.build_argv("slim-ci", [ai.ActionInput("pr")], {})


def test_positionals_and_free_form_lists_go_after_the_double_dash() -> None:
    parser = argparse.ArgumentParser(prog="x")
    options = ai.StageOptions("x", [], [])
    declare = ai.OptionsRecorder(parser, options)
    declare.add_argument("--full", action="store_true")
    declare.add_argument("action", choices=("create", "drop"))
    declare.add_argument("args", nargs="*")
    inputs = [ai.ActionInput("full"), ai.ActionInput("action"), ai.ActionInput("args")]
    env = {
        ai.env_name("full"): "yes",
        ai.env_name("action"): "drop",
        ai.env_name("args"): "--select 'tag:a b' -x",
    }
    argv = ai.build_argv("x", inputs, env, declared_options=options)
    assert argv == ["x", "--full", "--", "drop", "--select", "tag:a b", "-x"]
    ns = parser.parse_args(argv[1:])
    assert (ns.full, ns.action, ns.args) == (True, "drop", ["--select", "tag:a b", "-x"])


def test_pr_schema_positional_is_placed_after_the_options() -> None:
    inputs = [ai.ActionInput("action"), ai.ActionInput("pr")]
    argv = ai.build_argv("pr-schema", inputs, {ai.env_name("action"): "create", ai.env_name("pr"): "17"})
    assert argv == ["pr-schema", "--pr=17", "--", "create"]
    ns = parse(argv)
    assert (ns.action, ns.pr) == ("create", "17")


def test_the_options_are_recorded_through_argparses_public_methods_only() -> None:
    source = (Path(ai.__file__)).read_text(encoding="utf-8")
    assert not re.search(r"\._[a-z]", source.replace("self._", "")), "a private argparse name is used"
    options = ai.stage_options("rollback")
    assert [[a.dest for a in g] for g in options.exclusive] == [
        ["at", "offset", "before_statement", "to_version"]
    ]
    flags = {a.dest for a in options.actions if ai._is_flag(a)}
    assert {"dry_run", "json", "debug", "force_unlock"} <= flags


def test_unknown_stage_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown stage 'deploy'"):
        ai.stage_options("deploy")


def test_load_action_inputs_reads_required_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "action.yml"
    path.write_text(
        "inputs:\n  a:\n    description: d\n    required: true\n  b:\n    description: d\n    default: 'x'\n",
        encoding="utf-8",
    )
    assert ai.load_action_inputs(path) == (ai.ActionInput("a", True, ""), ai.ActionInput("b", False, "x"))
    path.write_text("inputs: [a, b]\n", encoding="utf-8")
    with pytest.raises(UserError, match="`inputs` must be a mapping"):
        ai.load_action_inputs(path)
    with pytest.raises(UserError, match="cannot read the action metadata"):
        ai.load_action_inputs(tmp_path / "missing.yml")


# --- the module entry point ---------------------------------------------------------------------------


def run_main(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = ai.main(args, environ={ai.ENV_ACTION_ROOT: str(REPO), **env}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_main_hands_the_argv_to_the_cli_and_returns_its_code(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def fake_main(argv: list[str], **_: object) -> int:
        seen.append(argv)
        return 7

    monkeypatch.setattr("pipelineops.cli.main", fake_main)
    code, out, _ = run_main(["rollback"], {ai.env_name("mode"): "republish", ai.env_name("to"): "gh-1-1"})
    assert code == 7
    assert seen == [["rollback", "--mode=republish", "--to=gh-1-1"]]  # in the order of action.yml
    assert "pipelineops rollback --mode=republish --to=gh-1-1" in out


def test_main_reports_a_bad_input_in_three_places(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("", encoding="utf-8")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), ai.env_name("dry-run"): "maybe"}
    code, out, err = run_main(["bluegreen-swap"], env)
    assert code == 2
    assert "::error title=pipelineops action inputs::input `dry-run` must be a boolean" in out
    assert "dry-run: 'true'" in err
    assert "invalid action input" in summary.read_text(encoding="utf-8")


def test_main_refuses_a_stage_without_an_action(tmp_path: Path) -> None:
    code, _, err = run_main(["status"], {ai.ENV_ACTION_ROOT: str(tmp_path)})
    assert code == 2
    assert "no action metadata for stage 'status'" in err


@pytest.mark.parametrize("args", [[], ["a", "b"], ["--stage"]])
def test_main_usage_errors(args: list[str]) -> None:
    code, _, err = run_main(args, {})
    assert code == 2
    assert "usage:" in err


def test_setup_mode_sets_the_pipelineops_path_output(tmp_path: Path) -> None:
    output = tmp_path / "output"
    output.write_text("", encoding="utf-8")
    code, out, _ = run_main(["--setup"], {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output)})
    assert code == 0
    text = output.read_text(encoding="utf-8")
    assert text.startswith("pipelineops-path<<ghadelimiter_")
    path = Path(text.splitlines()[1])
    assert path.name == "pipelineops" and path.exists()
    assert "installed at" in out


def test_action_root_defaults_to_this_source_tree() -> None:
    assert ai.action_root({}) == REPO
    assert ai.action_root({ai.ENV_ACTION_ROOT: "/x"}) == Path("/x")
