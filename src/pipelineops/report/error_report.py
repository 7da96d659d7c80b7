"""The report of a stage that stopped with an error we understand (``CheckFailed``, ``UserError``). Pure.

It follows the one order: the verdict (what failed, as the title), what failed (the why, verbatim), what
to do (what production looks like now, when the command knows it, then the fix), the runbook. In GitHub
Actions a fix that is a ``pipelineops`` command is phrased as the workflow inputs to set, since the
reader is in the workflow UI.
"""

from __future__ import annotations

import logging
import shlex

from pipelineops.report.model import Advice, Failure, StageReport

logger = logging.getLogger(__name__)

#: CLI option → the input of the reusable workflow that sets it
WORKFLOW_INPUTS = {"env": "environment", "to": "target"}


def for_workflow(command: str) -> str | None:
    """``pipelineops rollback --env prod --to d-1`` → ``run the rollback workflow with environment: prod,
    target: d-1``; None when ``command`` is not one ``pipelineops`` call."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if len(words) < 2 or words[0] != "pipelineops":
        return None
    inputs: list[str] = []
    rest = words[2:]
    while rest:
        word, rest = rest[0], rest[1:]
        if not word.startswith("--"):
            return None
        name = word[2:]
        value = "true"
        if rest and not rest[0].startswith("--"):
            value, rest = rest[0], rest[1:]
        if value.startswith("<") and value.endswith(">"):
            value = f"(the {value[1:-1]})"
        elif value.strip(".") == "":
            value = "(why)"
        inputs.append(f"{WORKFLOW_INPUTS.get(name, name)}: {value}")
    return (
        f"run the {words[1]} workflow with " + ", ".join(inputs) if inputs else f"run the {words[1]} workflow"
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def fix_advice(fix: str, *, on_github: bool) -> tuple[Advice, ...]:
    """The fix as prose, and its indented command (if any) as a block to paste, or as workflow inputs."""
    lines = fix.strip().splitlines()
    if not lines:
        return ()
    text = lines[0].strip()
    command = "\n".join(line.strip() for line in lines[1:] if line.strip())
    if on_github:
        text = text.replace(
            "re-run this command with --force-unlock", "re-run the workflow with force-unlock: true"
        )
        phrased = for_workflow(command) if command else None
        if phrased is not None:
            return (Advice(f"{_sentence(text.rstrip(':'))} {phrased}."),)
    return (Advice(_sentence(text), command=command),)


def error_report(
    stage: str,
    *,
    what: str,
    why: str = "",
    fix: str = "",
    runbook: str = "",
    production: str = "",
    on_github: bool = False,
    run_url: str | None = None,
) -> StageReport:
    """A failed stage's report from the parts of its error (``PipelineOpsError``)."""
    advice: list[Advice] = []
    if production:
        advice.append(Advice(production[0].upper() + production[1:].rstrip(".") + "."))
    advice.extend(fix_advice(fix, on_github=on_github))
    if runbook:
        advice.append(Advice(f"Runbook: {runbook}"))
    return StageReport(
        stage=stage,
        conclusion="failure",
        title=what,
        failures=(Failure("cause", detail=why.strip() or what),),
        advice=tuple(advice),
        run_url=run_url,
    )
