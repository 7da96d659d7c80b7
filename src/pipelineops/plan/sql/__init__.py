"""All SQL text PipelineOps emits, for both dialects; identifiers are validated and quoted here.

``common`` holds identifiers, schemas, views and relations; ``grants`` Snowflake's grant statements;
``journal`` the DEPLOY_STATE journal and the deploy lock; ``timetravel`` point-in-time recovery. No module outside this package joins SQL strings.
"""

from __future__ import annotations

from pipelineops.plan.sql.common import (
    Dialect,
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

__all__ = [
    "Dialect",
    "Relation",
    "columns_of",
    "copy_table",
    "create_schema",
    "create_view",
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
