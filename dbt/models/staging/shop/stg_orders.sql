-- depends_on: {{ ref('raw_orders') }}
{{ config(event_time='ordered_at') }}
-- One row per order header that has a customer and has happened: drops null customers (D02) and orders
-- dated after the data's "today" (D05); normalises status spellings (D04). Orders of customers the CRM
-- does not know (D03) stay here; int_orders_attributed drops them.
with source as (
    select * from {{ source('shop', 'orders') }}
)

select
    cast(order_id as {{ dbt.type_int() }}) as order_id,
    cast(customer_id as {{ dbt.type_int() }}) as customer_id,
    cast(ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
    lower(trim(status)) as status,
    channel,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from source
where
    customer_id is not null
    and ordered_at
    < {{ dbt.dateadd('day', 1, "cast('" ~ var('pipelineops_demo_anchor_date') ~ "' as date)") }}
