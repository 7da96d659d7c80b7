{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        event_time='ordered_at',
    )
}}
-- One row per order. Incremental: re-reads the last pipelineops_demo_lookback_days days so late status,
-- payment and shipment changes replace the earlier row (unique_key order_id).
select
    cast(order_id as {{ dbt.type_bigint() }}) as order_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
    cast(order_date as date) as order_date,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(item_count as {{ dbt.type_bigint() }}) as item_count,
    cast(unit_count as {{ dbt.type_bigint() }}) as unit_count,
    cast(gross_amount as decimal(18, 2)) as gross_amount,
    cast(discount_amount as decimal(18, 2)) as discount_amount,
    cast(net_amount as decimal(18, 2)) as net_amount,
    cast(amount_paid as decimal(18, 2)) as amount_paid,
    cast(payment_status as {{ dbt.type_string() }}) as payment_status,
    cast(shipped_at as {{ dbt.type_timestamp() }}) as shipped_at,
    cast(delivered_at as {{ dbt.type_timestamp() }}) as delivered_at,
    cast(days_to_ship as {{ dbt.type_bigint() }}) as days_to_ship,
    cast(days_in_transit as {{ dbt.type_bigint() }}) as days_in_transit
from {{ ref('int_orders_enriched') }}
{% if is_incremental() %}
    where
        ordered_at >= (
            select {{ dbt.dateadd('day', -var('pipelineops_demo_lookback_days'), 'max(ordered_at)') }}
            from {{ this }}
        )
{% endif %}
