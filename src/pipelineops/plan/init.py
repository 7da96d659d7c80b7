"""What ``pipelineops init`` writes into a consumer dbt repository, as text. Pure.

Every file is derived from facts the command read (the project's profile name, where its models and seeds
land, whether it has its own ``generate_schema_name``). Init creates the files that are missing and makes
small additive edits to the ones that exist (``.gitignore`` lines, one pre-commit entry, the rename of the
project's schema macro), so a second run finds nothing to change.

The schema macro is *composed*, never replaced: the project's own ``generate_schema_name`` is renamed to
``project_generate_schema_name`` (its body untouched), and the ``generate_schema_name`` init writes calls it
and adds the PipelineOps suffixes on top — ``<NAME>__<COLOUR>`` for a deploy's models, ``CI_PR_<n>_<NAME>``
for a pull request. dbt has one ``generate_schema_name`` per project, so a wrapper needs the rename (a
``dispatch`` would too); the rename is shown in the diff and documented in the file init writes.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)

PROJECT_MACRO = "project_generate_schema_name"
MACRO_FILE = "pipelineops_generate_schema_name.sql"
PROFILES_DIR = "pipelineops-profiles"
ENVIRONMENTS = ("dev", "staging", "prod")
DEFINES_MACRO = re.compile(r"(\{%-?\s*macro\s+)generate_schema_name(\s*\()")
DEFINES_PROJECT_MACRO = re.compile(r"\{%-?\s*macro\s+" + PROJECT_MACRO + r"\s*\(")
GITIGNORE_LINES = (".pipelineops/", "target/", "logs/", f"!{PROFILES_DIR}/profiles.yml")
HOOK_ID = "check-private-keys"
SHA = re.compile(r"[0-9a-f]{40}\Z")


@dataclass(frozen=True)
class FileChange:
    path: str  # relative to the repository root
    old: str | None  # None: the file does not exist
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


def defines_schema_macro(text: str) -> bool:
    return DEFINES_MACRO.search(text) is not None


def defines_project_macro(text: str) -> bool:
    return DEFINES_PROJECT_MACRO.search(text) is not None


def rename_schema_macro(text: str) -> str:
    """The project's macro file with its ``generate_schema_name`` renamed to ``project_generate_schema_name``."""
    return DEFINES_MACRO.sub(r"\g<1>" + PROJECT_MACRO + r"\g<2>", text)


def composed_macro(base: str) -> str:
    """The ``generate_schema_name`` that adds the colour and PR suffixes to ``base``'s schema name."""
    origin = (
        "the project's own macro, renamed by `pipelineops init` (its body is unchanged)"
        if base == PROJECT_MACRO
        else "dbt's default (the project had no generate_schema_name of its own)"
    )
    return f"""{{#-
    Written by `pipelineops init`. The schema NAME of every node comes from {base}:
    {origin}. PipelineOps adds its suffixes on top of that name:

    1. var pipelineops_pr = <n> (positive integer): CI_PR_<n>_<NAME> (every node, seeds included).
    2. var pipelineops_colour = BLUE | GREEN: <NAME>__<COLOUR> for models and snapshots; seeds keep NAME
       (the raw layer is shared by both colours). Any other value is a compiler error.
    3. otherwise NAME unchanged. An empty string counts as unset for both vars.
    Consumers read views in the NAME schemas (layout.consumer_schemas), pointing at one colour.
-#}}
{{% macro generate_schema_name(custom_schema_name, node) -%}}
    {{%- set name = ({base}(custom_schema_name, node) | trim) -%}}
    {{%- set pr = (var('pipelineops_pr', '') | string | trim) -%}}
    {{%- set colour = (var('pipelineops_colour', '') | string | trim) -%}}
    {{%- if pr -%}}
        {{%- if not pr.isdigit() or (pr | int) < 1 -%}}
            {{{{ exceptions.raise_compiler_error(
                "var pipelineops_pr must be a positive integer (the pull request number), got '" ~ pr ~ "'") }}}}
        {{%- endif -%}}
        {{{{ ('CI_PR_' ~ (pr | int) ~ '_' ~ name) | upper }}}}
    {{%- elif colour and (node is none or node.resource_type != 'seed') -%}}
        {{%- if colour not in ['BLUE', 'GREEN'] -%}}
            {{{{ exceptions.raise_compiler_error("var pipelineops_colour must be BLUE or GREEN, got '" ~ colour ~ "'") }}}}
        {{%- endif -%}}
        {{{{ (name ~ '__' ~ colour) | upper }}}}
    {{%- else -%}}
        {{{{ name }}}}
    {{%- endif -%}}
{{%- endmacro %}}
"""


def profiles_yaml(profile: str) -> str:
    """Local-engine (DuckDB + DuckLake) targets for every environment; no secret, no Snowflake target."""
    targets = "\n".join(f"    local_{env}:\n      <<: *local" for env in ENVIRONMENTS if env != "dev")
    return f"""# Written by `pipelineops init`: local-engine targets (DuckDB + DuckLake) for every environment.
# No secret lives here. The pipelineops CLI sets PIPELINEOPS_LOCAL_DIR (the absolute warehouse folder of
# the environment) and PIPELINEOPS_DUCKDB_EXTENSION_DIR. Snowflake targets stay in your own profiles.yml.
{profile}:
  target: local_dev
  outputs:
    local_dev: &local
      type: duckdb
      path: ":memory:"
      database: lake
      schema: analytics
      threads: 1
      config_options:
        extension_directory: "{{{{ env_var('PIPELINEOPS_DUCKDB_EXTENSION_DIR') }}}}"
      attach:
        - path: "ducklake:{{{{ env_var('PIPELINEOPS_LOCAL_DIR').rstrip('/') }}}}/catalog.ducklake"
          alias: lake
          options:
            data_path: "{{{{ env_var('PIPELINEOPS_LOCAL_DIR').rstrip('/') }}}}/data"
{targets}
"""


def config_yaml(*, project_dir: str, consumer_schemas: Sequence[str], raw_schema: str) -> str:
    schemas = ", ".join(consumer_schemas)
    return f"""# Written by `pipelineops init`. Schema: pipelineops/config/schema.json (see README: Adopting PipelineOps).
version: 1
dbt:
  project_dir: {project_dir}
  profiles_dir: {PROFILES_DIR}
layout:
  # The schemas the project's models land in: readers get stable views there, one colour at a time.
  consumer_schemas: [{schemas}]
  journal_schema: PIPELINEOPS
  raw_schema: {raw_schema}
environments:
  dev:
    engine: duckdb
    dbt_target: local_dev
    # Pull requests build CI_PR_<n>_* schemas next to production, in its warehouse, to defer to it.
    local_dir: .pipelineops/warehouse/prod
  staging:
    engine: duckdb
    dbt_target: local_staging
  prod:
    engine: duckdb
    dbt_target: local_prod
"""


def gitignore(old: str | None) -> str:
    text = old or ""
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in present]
    if not missing:
        return text
    sep = "" if not text or text.endswith("\n") else "\n"
    return (
        text
        + sep
        + "# pipelineops: local warehouses, run artifacts and dbt output\n"
        + "\n".join(missing)
        + "\n"
    )


def precommit(old: str | None, repo_url: str, sha: str, version: str) -> str:
    """The pre-commit config with PipelineOps' private-key hook (pinned by full SHA) added once."""
    entry = (
        f"  - repo: {repo_url}\n    rev: {sha}  # pipelineops {version}\n    hooks:\n      - id: {HOOK_ID}\n"
    )
    if old is None:
        return "repos:\n" + entry
    if f"id: {HOOK_ID}" in old:
        return old
    sep = "" if old.endswith("\n") else "\n"
    return old + sep + entry


def caller(template: str, *, sha: str, version: str, project_dir: str) -> str:
    """A README caller snippet pinned to ``sha`` (the README writes ``<full-commit-sha> # vX.Y.Z``)."""
    text = template.replace("<full-commit-sha> # vX.Y.Z", f"{sha} # pipelineops {version}")
    return text.replace("project-dir: .        #", f"project-dir: {project_dir}".ljust(22) + "#")


def macro_base(macro_texts: Iterable[str]) -> str:
    """The macro the composed one calls: the project's (renamed or to rename), else dbt's default."""
    texts = list(macro_texts)
    if any(defines_project_macro(t) or defines_schema_macro(t) for t in texts):
        return PROJECT_MACRO
    return "default__generate_schema_name"


def consumer_schemas(model_schemas: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({s.upper() for s in model_schemas}))


def unified_diff(change: FileChange) -> str:
    old = (change.old or "").splitlines(keepends=True)
    new = change.new.splitlines(keepends=True)
    before = f"a/{change.path}" if change.old is not None else "/dev/null"
    return "".join(difflib.unified_diff(old, new, before, f"b/{change.path}"))


def is_sha(value: str) -> bool:
    return SHA.match(value) is not None


def installed_commit(direct_url: str | None) -> str:
    """The commit pip installed PipelineOps from (PEP 610 ``direct_url.json``: ``vcs_info.commit_id``), or ''."""
    if not direct_url:
        return ""
    try:
        data = json.loads(direct_url)
    except ValueError:
        return ""
    vcs = data.get("vcs_info") if isinstance(data, dict) else None
    commit = str(vcs.get("commit_id", "")) if isinstance(vcs, dict) else ""
    return commit if is_sha(commit) else ""
