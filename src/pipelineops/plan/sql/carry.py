"""SQL of a slim deploy's carry-over: an unmodified table of the live colour made available in the idle one.

Snowflake: a zero-copy ``CLONE`` (metadata only; a transient table clones only into a transient one, error
002120). DuckDB (DuckLake): a ``CREATE TABLE … AS SELECT`` copy, the local engine having no zero-copy
clone. When the idle colour still holds a *view* of that name (the model was a view two deploys ago),
the view is dropped first: ``CREATE OR REPLACE TABLE`` does not replace a view on either engine.
"""

from __future__ import annotations

from pipelineops.plan.sql.common import Relation, copy_table, drop_view
from pipelineops.plan.sql.dialect import Dialect


def carry_table(
    target: Relation, source: Relation, dialect: Dialect, *, transient: bool, replaces_view: bool = False
) -> tuple[str, ...]:
    """The statements that make ``target`` (idle colour) a copy of ``source`` (live colour)."""
    first = (drop_view(target, dialect),) if replaces_view else ()
    return (*first, copy_table(target, source, dialect, transient=transient))
