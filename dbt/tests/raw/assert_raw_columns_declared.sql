-- D08 schema drift: every column that arrives in a raw table must be declared on its source in
-- models/staging/<source>/_<source>__sources.yml (the feed contract). One row per undeclared column.
-- Raw-layer check: warns; staging selects declared columns only, so nothing new leaks downstream.
{{ config(severity='warn') }}
-- depends_on: {{ ref('raw_customers') }}
-- depends_on: {{ ref('raw_products') }}
-- depends_on: {{ ref('raw_orders') }}
-- depends_on: {{ ref('raw_order_items') }}
-- depends_on: {{ ref('raw_payments') }}
-- depends_on: {{ ref('raw_shipments') }}

{%- set undeclared = [] -%}
{%- if execute -%}
    {%- for src in graph.sources.values() if src.package_name == project_name -%}
        {%- set declared = src.columns.keys() | map('lower') | list -%}
        {%- set relation = adapter.get_relation(src.database, src.schema, src.identifier) -%}
        {%- if relation is not none -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- if column.name | lower not in declared -%}
                    {%- do undeclared.append((src.name, column.name | lower)) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

{% for table_name, column_name in undeclared %}
    select
        '{{ table_name }}' as source_table,
        '{{ column_name }}' as column_name
    {% if not loop.last %}union all{% endif %}
{% else %}
    select
        'none' as source_table,
        'none' as column_name
    where 1 = 0
{% endfor %}
