{#-
    The static seed data was "loaded" up to the anchor date (var pipelineops_demo_anchor_date). Shift a
    load timestamp by the whole days between the anchor and today, so freshness behaves as if the feed
    ran last night; a feed that stopped N days before the anchor stays N days late.
-#}
{% macro pipelineops_shifted_loaded_at(column) -%}
    {%- set anchor = "cast('" ~ var('pipelineops_demo_anchor_date') ~ "' as date)" -%}
    {{ dbt.dateadd('day', dbt.datediff(anchor, dbt.current_timestamp(), 'day'), column) }}
{%- endmacro %}
