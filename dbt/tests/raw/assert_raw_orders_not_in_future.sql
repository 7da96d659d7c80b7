-- D05: orders dated after the data's "today" (var pipelineops_demo_anchor_date) - a clock or
-- test-system leak upstream. Raw-layer check: warns, staging drops them.
{{ config(severity='warn') }}

select
    order_id,
    ordered_at
from {{ ref('raw_orders') }}
where ordered_at >= {{ dbt.dateadd('day', 1, "cast('" ~ var('pipelineops_demo_anchor_date') ~ "' as date)") }}
