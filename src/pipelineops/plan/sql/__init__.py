"""All SQL text PipelineOps emits; identifiers are validated and quoted here.

``dialect`` is the contract one engine's SQL implements, and ``dialects/`` holds one module per engine
(``DIALECTS``, ``dialect_for``). ``common`` holds identifiers, schemas, views and relations; ``grants`` the
grant statements; ``journal`` the DEPLOY_STATE journal and the deploy lock; ``time_travel`` point-in-time
recovery. No module outside this package joins SQL strings.
"""

from __future__ import annotations

from pipelineops.plan.sql.common import (
    Relation,
    columns_of,
    copy_table,
    create_schema,
    create_view,
    drop_schema,
    drop_table,
    drop_view,
    grant_schema_usage,
    grant_select_on_all_views,
    ident,
    in_list,
    list_relations,
    list_schemas,
    lit,
    replace_schema,
    row_count,
    schema_ref,
    show_grants_on_schema,
    swap_schema,
    ts_lit,
    view_definitions,
)
from pipelineops.plan.sql.dialect import Dialect
from pipelineops.plan.sql.dialects import DIALECTS, DUCKDB, SNOWFLAKE, dialect_for

__all__ = [
    "DIALECTS",
    "DUCKDB",
    "SNOWFLAKE",
    "Dialect",
    "Relation",
    "columns_of",
    "copy_table",
    "create_schema",
    "create_view",
    "dialect_for",
    "drop_schema",
    "drop_table",
    "drop_view",
    "grant_schema_usage",
    "grant_select_on_all_views",
    "ident",
    "in_list",
    "list_relations",
    "list_schemas",
    "lit",
    "replace_schema",
    "row_count",
    "schema_ref",
    "show_grants_on_schema",
    "swap_schema",
    "ts_lit",
    "view_definitions",
]
