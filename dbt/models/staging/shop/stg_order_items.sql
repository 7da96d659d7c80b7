-- depends_on: {{ ref('raw_order_items') }}
-- One row per order line, typed. Lines whose product the catalogue never delivered (D06) stay here;
-- int_order_lines drops them when it joins the products.
with source as (
    select * from {{ source('shop', 'order_items') }}
)

select
    cast(order_item_id as {{ dbt.type_int() }}) as order_item_id,
    cast(order_id as {{ dbt.type_int() }}) as order_id,
    cast(product_id as {{ dbt.type_int() }}) as product_id,
    cast(quantity as {{ dbt.type_int() }}) as quantity,
    cast(unit_price as {{ dbt.type_numeric() }}) as unit_price,
    cast(discount_pct as {{ dbt.type_int() }}) as discount_pct,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from source
