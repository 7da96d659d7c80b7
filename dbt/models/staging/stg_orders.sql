-- depends_on: {{ ref('raw_orders') }}
{{ config(event_time='ordered_at') }}
-- Orders that can be attributed and have happened: drops null (D02) and unknown (D03) customers and
-- orders dated after the data's "today" (D05); normalises status spellings (D04).
with source as (
    select * from {{ source('raw', 'orders') }}
),

customers as (
    select distinct customer_id from {{ source('raw', 'customers') }}
)

select
    cast(source.order_id as {{ dbt.type_int() }}) as order_id,
    cast(source.customer_id as {{ dbt.type_int() }}) as customer_id,
    cast(source.ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
    lower(trim(source.status)) as status,
    source.channel,
    cast(source._loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from source
inner join customers on source.customer_id = customers.customer_id
where
    source.ordered_at
    < {{ dbt.dateadd('day', 1, "cast('" ~ var('pipelineops_demo_anchor_date') ~ "' as date)") }}
