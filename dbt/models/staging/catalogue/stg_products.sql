-- depends_on: {{ ref('raw_products') }}
with source as (
    select * from {{ source('catalogue', 'products') }}
)

select
    cast(product_id as {{ dbt.type_int() }}) as product_id,
    sku,
    product_name,
    -- D09: the catalogue leaves some categories empty
    coalesce(category, 'uncategorised') as category,
    cast(unit_price as {{ dbt.type_numeric() }}) as unit_price,
    is_active,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from source
where product_id is not null
