-- Order lines priced: gross, discount (rounded to the cent) and net amount, with the product category.
with items as (
    select * from {{ ref('stg_order_items') }}
),

products as (
    select * from {{ ref('stg_products') }}
),

priced as (
    select
        items.order_item_id,
        items.order_id,
        items.product_id,
        products.category,
        items.quantity,
        items.unit_price,
        items.discount_pct,
        items.quantity * items.unit_price as gross_amount
    from items
    inner join products on items.product_id = products.product_id
)

select
    order_item_id,
    order_id,
    product_id,
    category,
    quantity,
    unit_price,
    discount_pct,
    gross_amount,
    round(gross_amount * discount_pct / 100.0, 2) as discount_amount,
    gross_amount - round(gross_amount * discount_pct / 100.0, 2) as net_amount
from priced
