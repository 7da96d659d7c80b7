"""What ``state:modified`` cannot see, flagged when it applies to a PR. Pure.

dbt compares nodes by file checksum and config: it misses changed ``vars`` values, values read with
``env_var()``, and seeds over 1 MiB (compared by path only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pipelineops.plan.manifest_facts import ManifestFacts, canon, macro_closure

SpotKind = Literal["vars", "env_var", "large-seed"]
RUNNABLE = ("model", "seed", "snapshot", "test", "unit_test")
VAR_CALL = re.compile(r"(?<![A-Za-z0-9_])var\(\s*['\"]([A-Za-z0-9_]+)['\"]")
ENV_VAR_CALL = re.compile(r"(?<![A-Za-z0-9_])env_var\(\s*['\"]([A-Za-z0-9_]+)['\"]")


@dataclass(frozen=True)
class BlindSpot:
    kind: SpotKind
    message: str
    nodes: tuple[str, ...] = ()
    unselected: tuple[str, ...] = ()


def _readers(pattern: re.Pattern[str], names: set[str], pr: ManifestFacts) -> tuple[str, ...]:
    """Buildable or test nodes whose SQL, or any macro they call, reads one of ``names``."""
    hits_macro = {uid for uid, m in pr.macros.items() if set(pattern.findall(m.sql)) & names}
    out = []
    for uid, node in pr.nodes.items():
        if node.resource_type not in RUNNABLE:
            continue
        if set(pattern.findall(node.raw_code)) & names or macro_closure(node.macros, pr.macros) & hits_macro:
            out.append(uid)
    return tuple(sorted(out))


def changed_vars(pr_vars: Mapping[str, object], base_vars: Mapping[str, object]) -> tuple[str, ...]:
    keys = set(pr_vars) | set(base_vars)
    return tuple(sorted(k for k in keys if canon(pr_vars.get(k)) != canon(base_vars.get(k))))


def blind_spots(
    pr: ManifestFacts,
    selected: Iterable[str],
    *,
    pr_vars: Mapping[str, object],
    base_vars: Mapping[str, object] | None,
    base_label: str,
    project_env_vars: Sequence[str] = (),
) -> tuple[BlindSpot, ...]:
    """The blind spots of ``state:modified`` that apply to this PR."""
    chosen = set(selected)
    spots: list[BlindSpot] = []
    if base_vars is None:
        if pr_vars:
            names = set(pr_vars)
            readers = _readers(VAR_CALL, names, pr)
            spots.append(
                BlindSpot(
                    "vars",
                    f"var values could not be compared with {base_label} (dbt manifests do not record "
                    f"them); {len(readers)} node(s) read project vars ({', '.join(sorted(names))})",
                    readers,
                    tuple(r for r in readers if r not in chosen),
                )
            )
    else:
        names = set(changed_vars(pr_vars, base_vars))
        if names:
            readers = _readers(VAR_CALL, names, pr)
            spots.append(
                BlindSpot(
                    "vars",
                    f"dbt_project.yml vars changed vs {base_label}: {', '.join(sorted(names))}; "
                    "state:modified does not see var values",
                    readers,
                    tuple(r for r in readers if r not in chosen),
                )
            )
    env_names: set[str] = set()
    for node in pr.nodes.values():
        env_names.update(ENV_VAR_CALL.findall(node.raw_code))
    for macro in pr.macros.values():
        if not macro.unique_id.startswith(("macro.dbt.", "macro.dbt_")):
            env_names.update(ENV_VAR_CALL.findall(macro.sql))
    env_names.update(project_env_vars)
    if env_names:
        readers = _readers(ENV_VAR_CALL, env_names, pr)
        spots.append(
            BlindSpot(
                "env_var",
                f"values read with env_var() ({', '.join(sorted(env_names))}) are not compared by "
                "state:modified; a different value in CI or production changes results unseen",
                readers,
                tuple(r for r in readers if r not in chosen),
            )
        )
    large = tuple(
        sorted(uid for uid, n in pr.nodes.items() if n.resource_type == "seed" and n.checksum_name == "path")
    )
    if large:
        spots.append(
            BlindSpot(
                "large-seed",
                "seeds over 1 MiB are compared by path only: a change to their content is not selected",
                large,
                tuple(r for r in large if r not in chosen),
            )
        )
    return tuple(spots)
