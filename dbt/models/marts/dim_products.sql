-- One row per product with what it sold (cancelled orders excluded).
with products as (
    select * from {{ ref('stg_products') }}
),

sales as (
    select
        lines.product_id,
        sum(lines.quantity) as units_sold,
        sum(lines.net_amount) as net_revenue
    from {{ ref('int_order_lines') }} as lines
    inner join {{ ref('int_orders_attributed') }} as orders on lines.order_id = orders.order_id
    where orders.status != 'cancelled'
    group by lines.product_id
)

select
    cast(products.product_id as {{ dbt.type_bigint() }}) as product_id,
    cast(products.sku as {{ dbt.type_string() }}) as sku,
    cast(products.product_name as {{ dbt.type_string() }}) as product_name,
    cast(products.category as {{ dbt.type_string() }}) as category,
    cast(products.unit_price as decimal(18, 2)) as unit_price,
    cast(products.is_active as {{ dbt.type_boolean() }}) as is_active,
    cast(coalesce(sales.units_sold, 0) as {{ dbt.type_bigint() }}) as units_sold,
    cast(coalesce(sales.net_revenue, 0) as decimal(18, 2)) as net_revenue
from products
left join sales on products.product_id = sales.product_id
