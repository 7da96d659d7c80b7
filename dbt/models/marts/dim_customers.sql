-- One row per customer with lifetime order facts and a segment.
with customers as (
    select * from {{ ref('stg_customers') }}
),

orders as (
    select
        customer_id,
        count(*) as order_count,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        sum(net_amount) as lifetime_value
    from {{ ref('int_orders_enriched') }}
    where status not in ('cancelled', 'returned')
    group by customer_id
),

joined as (
    select
        customers.customer_id,
        customers.full_name,
        customers.email,
        customers.country_code,
        customers.signed_up_at,
        orders.first_order_at,
        orders.last_order_at,
        coalesce(orders.order_count, 0) as order_count,
        coalesce(orders.lifetime_value, 0) as lifetime_value
    from customers
    left join orders on customers.customer_id = orders.customer_id
)

select
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(full_name as {{ dbt.type_string() }}) as full_name,
    cast(email as {{ dbt.type_string() }}) as email,
    cast(country_code as {{ dbt.type_string() }}) as country_code,
    cast(signed_up_at as {{ dbt.type_timestamp() }}) as signed_up_at,
    cast(first_order_at as {{ dbt.type_timestamp() }}) as first_order_at,
    cast(last_order_at as {{ dbt.type_timestamp() }}) as last_order_at,
    cast(order_count as {{ dbt.type_bigint() }}) as order_count,
    cast(lifetime_value as decimal(18, 2)) as lifetime_value,
    cast(
        case
            when order_count = 0 then 'prospect'
            when lifetime_value >= 1000 then 'vip'
            when order_count >= 3 then 'repeat'
            else 'one_time'
        end as {{ dbt.type_string() }}
    ) as customer_segment
from joined
