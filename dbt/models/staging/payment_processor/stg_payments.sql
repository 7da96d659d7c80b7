-- depends_on: {{ ref('raw_payments') }}
{{ config(event_time='paid_at') }}
-- Payments with a sane amount (D07 drops sign errors). Only the declared feed columns are selected, so
-- the undeclared processor_fee (D08) does not leak downstream.
with source as (
    select * from {{ source('payment_processor', 'payments') }}
)

select
    cast(payment_id as {{ dbt.type_int() }}) as payment_id,
    cast(order_id as {{ dbt.type_int() }}) as order_id,
    payment_method,
    cast(amount as {{ dbt.type_numeric() }}) as amount,
    lower(status) as status,
    cast(paid_at as {{ dbt.type_timestamp() }}) as paid_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from source
where amount >= 0
