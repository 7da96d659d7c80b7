-- depends_on: {{ ref('raw_shipments') }}
with source as (
    select * from {{ source('carrier', 'shipments') }}
)

select
    cast(shipment_id as {{ dbt.type_int() }}) as shipment_id,
    cast(order_id as {{ dbt.type_int() }}) as order_id,
    carrier,
    cast(shipped_at as {{ dbt.type_timestamp() }}) as shipped_at,
    cast(delivered_at as {{ dbt.type_timestamp() }}) as delivered_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from source
