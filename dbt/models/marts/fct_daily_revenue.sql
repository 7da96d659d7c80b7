{{
    config(
        materialized='incremental',
        incremental_strategy='microbatch',
        event_time='revenue_date',
        begin='2024-01-01',
        batch_size='month',
        lookback=1,
        on_schema_change='append_new_columns',
    )
}}
-- Revenue per calendar day. Microbatch: each run rebuilds whole months, and a backfill is
-- `dbt build -s fct_daily_revenue --event-time-start 2025-01-01 --event-time-end 2025-03-01`.
-- The upstream int_orders_enriched declares event_time, so each batch reads only its own orders.
with orders as (
    select * from {{ ref('int_orders_enriched') }}
    where status != 'cancelled'
)

select
    cast(order_date as date) as revenue_date,
    cast(count(*) as {{ dbt.type_bigint() }}) as order_count,
    cast(count(distinct customer_id) as {{ dbt.type_bigint() }}) as customer_count,
    cast(sum(net_amount) as decimal(18, 2)) as net_revenue,
    cast(sum(amount_paid) as decimal(18, 2)) as amount_paid,
    cast(sum(net_amount) / count(*) as decimal(18, 2)) as avg_order_value
from orders
group by order_date
