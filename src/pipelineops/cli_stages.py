"""The subcommands: their help, their own options, and the command each one calls."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from pipelineops.report.model import StageReport


class Options(Protocol):
    """Where a stage declares its options: an ``argparse`` parser or group, or anything that records them
    (``action_inputs`` maps action inputs to options through the same declarations)."""

    def add_argument(self, *name_or_flags: str, **kwargs: Any) -> argparse.Action: ...

    def add_mutually_exclusive_group(self, *, required: bool = False) -> Options: ...


AddArgs = Callable[[Options], None]


def _none(_: Options) -> None:
    return None


def _pr(p: Options) -> None:
    p.add_argument("--pr", required=True, help="pull-request number (a positive integer)")


def _pr_schema(p: Options) -> None:
    p.add_argument("action", nargs="?", choices=("create", "drop"), help="create or drop the PR's schemas")
    p.add_argument(
        "--action",
        dest="action_option",
        choices=("create", "drop"),
        help="the same as the positional ACTION (the form the pr-schema action passes)",
    )
    _pr(p)


def _slim_ci(p: Options) -> None:
    _pr(p)
    p.add_argument(
        "--state-dir",
        help="folder with the production manifest.json (default: the manifest the last deploy of "
        "slim_ci.defer_to published in the journal)",
    )
    p.add_argument(
        "--base-ref",
        default="origin/main",
        help="git ref the PR is compared with for the vars blind spot (default: origin/main)",
    )
    p.add_argument(
        "--comment-file",
        help="write the PR comment body to this file instead of posting it on the pull request",
    )
    p.add_argument(
        "--impact",
        choices=("columns", "nodes"),
        help="columns: build only the state:modified+ nodes a change can affect (column lineage of the "
        "compiled SQL; the provably unaffected are deferred to production); nodes: every state:modified+ "
        "node (default: slim_ci.impact, columns)",
    )


def _data_diff(p: Options) -> None:
    _pr(p)
    p.add_argument(
        "--state-dir",
        help="folder with the production manifest.json (default: the manifest the last deploy of "
        "slim_ci.defer_to published in the journal)",
    )


def _bluegreen(p: Options) -> None:
    p.add_argument("--deploy-id", help="id of this deploy (default: from the CI run, or time + git sha)")
    p.add_argument("--git-sha", help="commit being deployed (default: git rev-parse HEAD)")
    p.add_argument(
        "--force-unlock",
        action="store_true",
        help="release a deploy lock left by a dead deploy (recorded in DEPLOY_STATE), then deploy",
    )
    p.add_argument("--vars", default="", help="extra dbt --vars (YAML/JSON mapping)")
    p.add_argument(
        "--allow-rolled-back",
        action="store_true",
        help="deploy a git sha whose earlier deploy was rolled back (refused by default: ship a fix instead)",
    )


def _bluegreen_swap(p: Options) -> None:
    _bluegreen(p)
    p.add_argument(
        "--mode",
        choices=("slim", "full"),
        help="slim: build only state:modified+ and carry the rest over from the live colour (a full build "
        "when that is not safe, with the reason); full: build everything (default: deploy.mode, slim)",
    )
    p.add_argument(
        "--impact",
        choices=("columns", "nodes"),
        help="slim deploys only. columns: build only the state:modified+ nodes a change can affect (column "
        "lineage, as slim-ci) and carry the others over; nodes: build all of state:modified+ (default)",
    )


def _backfill(p: Options) -> None:
    p.add_argument("--model", required=True, help="the microbatch model to re-run (its dbt name)")
    p.add_argument("--start", required=True, help="first day of the range, YYYY-MM-DD (inclusive)")
    p.add_argument("--end", required=True, help="day after the range, YYYY-MM-DD (exclusive, like dbt)")
    p.add_argument(
        "--batch-size",
        help="1d, 7d or 1mo (calendar months): one dbt run per batch (default: the model's own "
        "batch_size, day → 1d, month → 1mo; never finer than it)",
    )
    _bluegreen(p)


def _rollback(p: Options) -> None:
    p.add_argument(
        "--to",
        dest="to_deploy",
        help="deploy id to go back to (default: the previous good build; builds a rollback removed are "
        "never re-published)",
    )
    p.add_argument(
        "--rollback-id",
        help="id of this rollback, restore or purge (default: gh-<run id>-<mode> in GitHub Actions, else the time and a random suffix); "
        "a re-run with the same id finishes that operation or reports it done",
    )
    p.add_argument(
        "--mode",
        choices=("republish", "time-travel", "purge-aside"),
        default="republish",
        help="republish (default), time-travel, or purge-aside: drop the tables a restore set aside once "
        "confirmed (--to RESTORE_ID) or older than rollback.keep_aside_hours",
    )
    p.add_argument(
        "--reason", default="", help="why (required in the environments rollback.require_reason_in)"
    )
    p.add_argument("--model", help="time-travel: the model (table) to restore")
    p.add_argument(
        "--force-unlock",
        action="store_true",
        help="release a deploy lock left by a dead run (recorded in DEPLOY_STATE), then roll back",
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument("--at", help="time-travel: restore as of this timestamp (ISO 8601)")
    when.add_argument(
        "--offset", type=int, help="time-travel: restore as of this many seconds ago (negative)"
    )
    when.add_argument("--before-statement", help="time-travel (Snowflake): restore as before this query id")
    when.add_argument("--to-version", type=int, help="time-travel (local engine): DuckLake snapshot version")


def _cleanup(p: Options) -> None:
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--pr", help="drop this PR's schemas (on pull_request: closed)")
    mode.add_argument(
        "--sweep",
        action="store_true",
        help="drop every CI_PR_* schema whose PR is closed or missing on GitHub, or that is older than "
        "cleanup.max_age_hours",
    )


def _parity_check(p: Options) -> None:
    p.add_argument(
        "--against",
        choices=("dev", "staging", "prod"),
        default="prod",
        help="the reference environment --env is compared with (default: prod)",
    )
    p.add_argument(
        "--schemas",
        help="comma-separated consumer schemas to compare, e.g. MARTS,STAGING (default: "
        "layout.consumer_schemas)",
    )
    p.add_argument(
        "--row-count-pct",
        help="row-count difference, in percent of the reference, above which a relation is reported "
        "(default: checks.row_count_delta.warn_pct)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="make every warning a failure (row-count drift, columns or grants only --env has)",
    )


def _protect_branch(p: Options) -> None:
    p.add_argument("--repo", help="OWNER/NAME (default: $GITHUB_REPOSITORY)")
    p.add_argument("--branch", default="main", help="branch to protect (default: main)")
    p.add_argument(
        "--spec",
        default=".github/branch-protection.yml",
        help="desired protection (default: .github/branch-protection.yml)",
    )
    p.add_argument("--api-url", help="GitHub API URL (default: $GITHUB_API_URL or https://api.github.com)")


def _freshness(p: Options) -> None:
    p.add_argument(
        "--select",
        help="dbt selector of the sources to check, e.g. 'source:carrier.shipments source:shop.orders' "
        "(letters, digits, _ . : + * / - and spaces only; default: every source with a freshness SLA)",
    )
    p.add_argument(
        "--fail-on",
        choices=("warn", "error"),
        default="error",
        help="fail (exit 1) when a source is at or past this level: error (default: past error_after) or "
        "warn (past warn_after too); a failed freshness query always fails",
    )


def _anomaly(p: Options) -> None:
    p.add_argument(
        "--record",
        action="store_true",
        help="first record the row count of each consumer view (the scheduled run); without it the "
        "stage only reads the counts deploys recorded",
    )


def _status(p: Options) -> None:
    p.add_argument("--limit", type=int, default=10, help="how many recent deploys to show")
    p.add_argument(
        "--since",
        help="also show the delivery numbers (DORA) over this window, e.g. 30d, 12h or 2w: deploys per "
        "day, lead time (commit to publish), change failure rate and time to restore",
    )


def _init(p: Options) -> None:
    p.add_argument(
        "--project-dir",
        default="",
        help="the dbt project folder, relative to the repository root (default: the folder holding "
        "dbt_project.yml: . or dbt/)",
    )
    p.add_argument(
        "--pipelineops-ref",
        default="",
        help="full commit SHA of PipelineOps the caller workflows pin (default: the SHA the README's "
        "caller snippets pin)",
    )


def _demo(p: Options) -> None:
    p.add_argument(
        "--keep", action="store_true", help="keep the previous demo warehouse instead of a fresh one"
    )


@dataclass(frozen=True)
class Stage:
    name: str
    summary: str
    description: str
    module: str
    add_arguments: AddArgs = _none
    default_env: str = "dev"
    needs_config: bool = True
    entry: str = "run"
    preflight: bool = False  # run the cheap doctor checks first (commands/doctor.py stage_preflight)

    def load(self) -> Callable[..., StageReport]:
        mod = importlib.import_module(f"pipelineops.commands.{self.module}")
        return cast(Callable[..., StageReport], getattr(mod, self.entry))


STAGES: tuple[Stage, ...] = (
    Stage(
        "pr-schema",
        "create or drop a pull request's schemas (CI_PR_<n>[_<custom>])",
        "Creates (idempotently) or drops the schemas a pull request builds into: CI_PR_<n> and one\n"
        "CI_PR_<n>_<CUSTOM> per custom schema of the project. The PR number is validated; nothing\n"
        "else is ever dropped.",
        "pr_schema",
        _pr_schema,
        default_env="dev",
        preflight=True,
    ),
    Stage(
        "slim-ci",
        "build and test only what a PR changed (state:modified+) in its own schema",
        "Fetches the production manifest, selects state:modified+ with --defer --state (and\n"
        "--favor-state), optionally clones the unmodified parents of incremental models, runs dbt build\n"
        "into CI_PR_<n>, and reports what was selected and why, the results, and the known blind spots\n"
        "of state:modified. Outputs: selected-count, failed-count, schema.",
        "slim_ci",
        _slim_ci,
        default_env="dev",
        preflight=True,
    ),
    Stage(
        "data-diff",
        "what a PR's modified models do to production's data (rows added, removed, changed)",
        "Compares each modified model of the slim-ci selection, as built in CI_PR_<n>*, with the\n"
        "production relation it replaces: columns added/removed/retyped, row counts, and on the model's\n"
        "key rows added, removed, changed and unchanged with per-column change rates and examples\n"
        "(without a key: column profiles). Runs in the warehouse, sampled by key hash above\n"
        "slim_ci.diff.threshold rows, within slim_ci.diff.budget_seconds per model; sensitive columns are\n"
        "only counted. Run slim-ci first (it also adds this to its PR comment).",
        "data_diff",
        _data_diff,
        default_env="dev",
    ),
    Stage(
        "bluegreen-swap",
        "build the idle colour, gate it, and publish it atomically (the deploy)",
        "Takes the deploy lock, builds the idle colour (BLUE/GREEN) with dbt, runs the pre-cutover\n"
        "checks against it (dbt tests, row-count delta vs the live colour, non-empty, contract of\n"
        "consumed columns), re-points production atomically, smoke-tests it (re-publishing the previous\n"
        "colour if that fails), publishes the manifest for Slim CI, and journals every step in\n"
        "DEPLOY_STATE. With --dry-run: prints the plan and the exact SQL, changes nothing.",
        "bluegreen_swap",
        _bluegreen_swap,
        default_env="prod",
        preflight=True,
    ),
    Stage(
        "backfill",
        "re-run a microbatch model over a date range, in batches, and publish it (a deploy)",
        "A blue/green deploy whose build phase re-runs one incremental model over a date range: it\n"
        "takes the deploy lock, builds the idle colour in full, then runs `dbt run --select MODEL\n"
        "--event-time-start X --event-time-end Y` once per batch of --batch-size (1d, 7d or 1mo), then\n"
        "the model's tests; then the normal pre-cutover checks, atomic cutover, grant check and smoke\n"
        "check. Only microbatch models qualify (dbt ignores the event-time flags for other models).\n"
        "Every batch is journalled (backfill-batch, with its range); re-running the same --deploy-id\n"
        "skips the batches that already succeeded. With --dry-run: prints every batch's dbt command.\n"
        "Runbook: runbooks/backfill.md.",
        "backfill",
        _backfill,
        default_env="prod",
        preflight=True,
    ),
    Stage(
        "rollback",
        "re-publish the previous colour, or restore a table with time travel",
        "republish (default): re-points production at the colour of the previous deploy (or --to\n"
        "DEPLOY_ID) in one atomic cutover, after checking that colour was not rebuilt since.\n"
        "time-travel: restores one model's data as of --at/--offset/--before-statement/--to-version\n"
        "(DuckLake versions locally; CLONE … AT/BEFORE and UNDROP on Snowflake), keeping the current\n"
        "data aside. Both are journalled with actor and --reason.",
        "rollback",
        _rollback,
        default_env="prod",
    ),
    Stage(
        "schema-cleanup",
        "drop a closed PR's schemas, or sweep stale CI_PR_* schemas",
        "--pr N drops that PR's schemas; --sweep drops every CI_PR_* schema whose PR is closed (asks\n"
        "GitHub) or older than cleanup.max_age_hours. Never touches a schema outside that pattern.",
        "schema_cleanup",
        _cleanup,
        default_env="dev",
    ),
    Stage(
        "parity-check",
        "compare what readers see in two environments (schemas, columns, row counts, grants)",
        "Reads the consumer views of --env (default: staging) and --against (default: prod), one\n"
        "environment after the other, read-only: the consumer schemas (layout.consumer_schemas or\n"
        "--schemas), each relation's columns and types, its row count, and on Snowflake the reader\n"
        "roles' grants on each schema (not applicable on the local engine). Fails (exit 1) on a\n"
        "relation or schema missing on either side, a column --env lacks, or a retyped column; warns\n"
        "on row counts apart by more than --row-count-pct (default: checks.row_count_delta.warn_pct)\n"
        "and on columns only --env has (--strict makes warnings fail). A local warehouse that does\n"
        "not exist is a user error (deploy it first). Outputs: finding-count, fail-count,\n"
        "warn-count. --dry-run prints the queries per environment and reads nothing.\n"
        "Runbook: runbooks/parity.md.",
        "parity_check",
        _parity_check,
        default_env="staging",
    ),
    Stage(
        "freshness",
        "check source freshness against the SLAs",
        "Runs `dbt source freshness` for the environment (optionally --select'ed sources) and reports\n"
        "each source: status, hours since its last load, its warn_after/error_after thresholds and the\n"
        "SLA verdict. Fails (exit 1) when a source is at or past --fail-on (default: error) or its\n"
        "freshness query failed. Outputs: late-count, error-count, stalest-hours. Read-only: nothing is\n"
        "written to the warehouse or DEPLOY_STATE; --dry-run prints the dbt command.\n"
        "Runbook: runbooks/sev3-freshness.md.",
        "freshness",
        _freshness,
        default_env="prod",
        preflight=True,
    ),
    Stage(
        "anomaly",
        "judge each published model's newest row count against its history",
        "Reads the row counts every deploy records in DEPLOY_ROW_COUNTS (and, with --record, records\n"
        "the consumer views' counts first) and judges each model's newest count against its trailing\n"
        "window: a robust z-score (median and MAD) of the change from the previous count. Each verdict\n"
        "gives the expected range, the observed count and the history size; a model with too little\n"
        "history is not judged. Settings: `anomaly:` in pipelineops.yml. Fails (exit 1) on an anomaly.\n"
        "Outputs: anomaly-count, not-judged-count. Runbook: runbooks/sev2-anomaly.md.",
        "anomaly",
        _anomaly,
        default_env="prod",
    ),
    Stage(
        "status",
        "show the live colour, recent deploys and the deploy lock",
        "Reads DEPLOY_STATE for the environment: the live colour and the deploy that published it,\n"
        "the last deploys and rollbacks, and who holds the deploy lock (with how to release it).",
        "status",
        _status,
        default_env="prod",
    ),
    Stage(
        "protect-branch",
        "apply branch protection as code (required checks, reviews, code owners, linear history)",
        "Reads the desired protection of a branch from .github/branch-protection.yml, compares it with\n"
        "GitHub's, and applies the difference (required status checks, reviews and code-owner\n"
        "reviews, dismiss stale reviews, linear history, no force pushes or deletions, conversation\n"
        "resolution, admins included). --dry-run prints the diff. Needs an admin token in GITHUB_TOKEN\n"
        "(a workflow's own token cannot change branch protection).",
        "protect_branch",
        _protect_branch,
        needs_config=False,
        entry="stage",
    ),
    Stage(
        "doctor",
        "check the set-up: schema macro, consumer schemas, dbt targets, PR deferral, raw data",
        "A table of checks, each pass/warn/fail with its fix, offline (dbt parse with the colour and\n"
        "PR vars; no warehouse is opened except an existing local one for the raw-data check): the\n"
        "schema macro yields <schema>__BLUE/__GREEN and CI_PR_<n>[_<SCHEMA>] for every model; each\n"
        "layout.consumer_schemas entry receives models; every environment's dbt_target exists in the\n"
        "profile with the adapter of its engine; slim_ci.environment shares slim_ci.defer_to's\n"
        "warehouse; PIPELINEOPS_LOCAL_DIR is absolute; raw data is loaded (an existing local warehouse). Exit 1 when a check fails.\n"
        "pr-schema, slim-ci, bluegreen-swap, backfill and freshness run the cheap subset first (exit 2).",
        "doctor",
        default_env="prod",
    ),
    Stage(
        "init",
        "set up a dbt repository: pipelineops.yml, local profiles, the schema macro, workflows",
        "Reads the dbt project (dbt parse) and writes, or with --dry-run shows as a diff: pipelineops.yml\n"
        "(consumer schemas = where the models land), .pipelineops-profiles/profiles.yml (local-engine\n"
        "targets for every environment; no secret), a schema macro composed with the project's own\n"
        "generate_schema_name (renamed to project_generate_schema_name, its naming kept; colour and PR\n"
        "suffixes added on top), caller workflows pinned by full SHA, .gitignore and pre-commit entries.\n"
        "A second run changes nothing.",
        "init",
        _init,
        default_env="prod",
        needs_config=False,
    ),
    Stage(
        "demo",
        "run the whole pipeline on the embedded local engine",
        "On a fresh local warehouse (DuckDB + DuckLake, no account needed): two blue/green deploys of\n"
        "the reference dbt project, a deploy stopped by a failing gate, a pull request built by slim-ci,\n"
        "a rollback and a time-travel recovery, then the DEPLOY_STATE journal.",
        "demo",
        _demo,
        default_env="prod",
    ),
)
