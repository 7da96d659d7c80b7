"""What init writes: derived from the project, additive on existing files, unchanged on a second pass."""

from __future__ import annotations

import yaml

from pipelineops.plan import init as p

OWN = "{% macro generate_schema_name(custom_schema_name, node) -%}{{ custom_schema_name }}{%- endmacro %}\n"
SHA = "a" * 40


def test_the_project_macro_is_renamed_once_and_composed_not_replaced() -> None:
    assert p.defines_schema_macro(OWN) and not p.defines_project_macro(OWN)
    renamed = p.rename_schema_macro(OWN)
    assert "macro project_generate_schema_name(custom_schema_name, node)" in renamed
    assert "{{ custom_schema_name }}" in renamed  # the body is untouched
    assert not p.defines_schema_macro(renamed) and p.defines_project_macro(renamed)
    assert p.rename_schema_macro(renamed) == renamed
    assert p.macro_base([OWN]) == p.PROJECT_MACRO and p.macro_base([renamed]) == p.PROJECT_MACRO
    assert p.macro_base(["{% macro other() %}{% endmacro %}"]) == "default__generate_schema_name"


def test_composed_macro_calls_its_base_and_documents_it() -> None:
    own = p.composed_macro(p.PROJECT_MACRO)
    assert "set name = (project_generate_schema_name(custom_schema_name, node) | trim)" in own
    assert "renamed by `pipelineops init`" in own and "'CI_PR_' ~ (pr | int) ~ '_' ~ name" in own
    default = p.composed_macro("default__generate_schema_name")
    assert (
        "default__generate_schema_name(custom_schema_name, node)" in default
        and "no generate_schema_name" in default
    )


def test_profiles_have_a_local_target_per_environment_and_no_secret() -> None:
    data = yaml.safe_load(p.profiles_yaml("shop"))
    outputs = data["shop"]["outputs"]
    assert sorted(outputs) == ["local_dev", "local_prod", "local_staging"]
    assert {o["type"] for o in outputs.values()} == {"duckdb"}
    assert "SNOWFLAKE" not in p.profiles_yaml("shop").replace("Snowflake targets", "")


def test_config_puts_pr_schemas_in_productions_warehouse() -> None:
    data = yaml.safe_load(p.config_yaml(project_dir=".", consumer_schemas=("A", "B"), raw_schema="LANDING"))
    assert data["layout"]["consumer_schemas"] == ["A", "B"] and data["layout"]["raw_schema"] == "LANDING"
    assert data["environments"]["dev"]["local_dir"] == ".pipelineops/warehouse/prod"
    assert data["dbt"]["profiles_dir"] == p.PROFILES_DIR
    assert p.consumer_schemas(["stg", "STG", "reporting"]) == ("REPORTING", "STG")


def test_gitignore_adds_missing_lines_once_and_keeps_our_profiles_tracked() -> None:
    first = p.gitignore("profiles.yml")
    assert first.startswith("profiles.yml\n# pipelineops") and "!pipelineops-profiles/profiles.yml" in first
    assert p.gitignore(first) == first
    assert p.gitignore(None).startswith("# pipelineops")


def test_precommit_entry_is_pinned_and_added_once() -> None:
    new = p.precommit(None, "https://x/y", SHA, "1.0.0")
    assert yaml.safe_load(new)["repos"][0] == {
        "repo": "https://x/y",
        "rev": SHA,
        "hooks": [{"id": p.HOOK_ID}],
    }
    existing = "repos:\n  - repo: local\n    hooks: []"
    added = p.precommit(existing, "https://x/y", SHA, "1.0.0")
    assert len(yaml.safe_load(added)["repos"]) == 2
    assert p.precommit(added, "https://x/y", SHA, "1.0.0") == added


def test_caller_is_pinned_by_sha() -> None:
    text = "uses: o/r/.github/workflows/x.yml@<full-commit-sha> # vX.Y.Z\n      project-dir: .        # as"
    out = p.caller(text, sha=SHA, version="1.2.3", project_dir="dbt")
    assert f"@{SHA} # pipelineops 1.2.3" in out and "project-dir: dbt      # as" in out
    assert p.is_sha(SHA) and not p.is_sha("v1") and not p.is_sha("A" * 40)


def test_diff_of_a_new_and_an_edited_file() -> None:
    new = p.FileChange("a.txt", None, "x\n")
    assert new.changed and "--- /dev/null" in p.unified_diff(new) and "+x" in p.unified_diff(new)
    edit = p.FileChange("a.txt", "x\n", "y\n")
    assert "--- a/a.txt" in p.unified_diff(edit) and "-x" in p.unified_diff(edit)
    assert not p.FileChange("a", "x", "x").changed


def test_every_caller_template_gets_pinned() -> None:
    from pipelineops.plan.callers import CALLERS

    assert sorted(CALLERS) == [
        ".github/workflows/deploy.yml",
        ".github/workflows/pr.yml",
        ".github/workflows/rollback.yml",
        ".github/workflows/schema-cleanup.yml",
    ]
    for template in CALLERS.values():
        pinned = p.caller(template, sha=SHA, version="1.0.0", project_dir=".")
        assert "<full-commit-sha>" not in pinned and f"@{SHA} # pipelineops 1.0.0" in pinned


def test_installed_commit_reads_pips_record_of_a_git_install() -> None:
    record = (
        '{"url": "https://github.com/pipelineops/actions", "vcs_info": {"vcs": "git", "commit_id": "%s"}}'
    )
    assert p.installed_commit(record % SHA) == SHA
    assert p.installed_commit(record % "main") == ""
    assert p.installed_commit('{"url": "file:///src", "dir_info": {"editable": true}}') == ""
    assert (
        p.installed_commit("[]") == ""
        and p.installed_commit("not json") == ""
        and p.installed_commit(None) == ""
    )
