-- depends_on: {{ ref('raw_order_items') }}
-- Order lines whose product is in the catalogue (D06 drops the others).
with source as (
    select * from {{ source('raw', 'order_items') }}
),

products as (
    select distinct product_id from {{ source('raw', 'products') }}
)

select
    cast(source.order_item_id as {{ dbt.type_int() }}) as order_item_id,
    cast(source.order_id as {{ dbt.type_int() }}) as order_id,
    cast(source.product_id as {{ dbt.type_int() }}) as product_id,
    cast(source.quantity as {{ dbt.type_int() }}) as quantity,
    cast(source.unit_price as {{ dbt.type_numeric() }}) as unit_price,
    cast(source.discount_pct as {{ dbt.type_int() }}) as discount_pct,
    cast(source._loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from source
inner join products on source.product_id = products.product_id
