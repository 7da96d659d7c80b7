"""Which physical objects an environment's deploys change, and the refusal of two deploy environments on
the same ones.

The deploy lock and the journal are per environment. Two environments that resolve to the same objects
(the same local warehouse folder, or the same Snowflake account and database: the consumer schemas are
project-wide) would each read their own journal and take their own lock while rebuilding the same colour
schemas — so a deploy, backfill or rollback there is refused before anything changes. The one sharing
that is meant is Slim CI's: ``slim_ci.environment`` builds only PR schemas next to
``slim_ci.defer_to``'s production, to defer to its views; it is not a deploy environment then.
"""

from __future__ import annotations

from pipelineops.config import Config
from pipelineops.config.model import EnvironmentConfig
from pipelineops.errors import UserError

RUNBOOK = "configuration.md"


def physical_target(env: EnvironmentConfig) -> str:
    """A key naming the objects an environment's deploys change."""
    if env.snowflake is not None:
        return f"snowflake://{env.snowflake.account.lower()}/{env.database.upper()}"
    return f"local://{env.local_dir}/{env.database.lower()}"


def check_deploy_target(config: Config, env_name: str) -> None:
    """Refuse a deploy-kind operation in ``env_name`` when another environment shares its objects."""
    env = config.environment(env_name)
    key = physical_target(env)
    shared = sorted(
        other.name
        for other in config.environments.values()
        if other.name != env.name and physical_target(other) == key
    )
    if not shared:
        return
    pr_pair = {config.slim_ci_environment, config.slim_ci_defer_to}
    if env_name == config.slim_ci_defer_to and set(shared) == {config.slim_ci_environment}:
        return  # production next to the PR environment that defers to it
    where = f"the local warehouse {env.local_dir}" if env.snowflake is None else f"database {env.database}"
    if env_name == config.slim_ci_environment and {env_name, *shared} == pr_pair:
        raise UserError(
            f"{env_name} shares {where} with {config.slim_ci_defer_to}: it is the pull-request environment "
            f"(slim_ci.environment) there, and a deploy to it would rebuild {config.slim_ci_defer_to}'s colours",
            why=f"{env_name}'s journal and lock are its own, so nothing would stop it from rebuilding the "
            f"colour {config.slim_ci_defer_to} serves",
            fix=f"deploy with --env {config.slim_ci_defer_to}; to deploy {env_name} too, give it its own "
            f"warehouse (environments.{env_name}.local_dir / database) and set slim_ci.environment to "
            "an environment that only builds PR schemas",
            runbook=RUNBOOK,
        )
    raise UserError(
        f"environments {', '.join([env_name, *shared])} share {where}: deploys there would race",
        why="each environment has its own journal and deploy lock, so two of them on the same objects "
        "would rebuild each other's live colour",
        fix="give each environment its own warehouse: a different environments.<env>.local_dir "
        "(local engine) or database (Snowflake)",
        runbook=RUNBOOK,
    )
