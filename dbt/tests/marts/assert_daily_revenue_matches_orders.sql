-- Every day of fct_daily_revenue equals the non-cancelled orders of that day in fct_orders.
with daily as (
    select
        revenue_date,
        order_count,
        net_revenue
    from {{ ref('fct_daily_revenue') }}
),

from_orders as (
    select
        order_date,
        count(*) as order_count,
        sum(net_amount) as net_revenue
    from {{ ref('fct_orders') }}
    where status != 'cancelled'
    group by order_date
)

select
    coalesce(daily.revenue_date, from_orders.order_date) as revenue_date,
    daily.order_count as daily_order_count,
    from_orders.order_count as fct_orders_order_count,
    daily.net_revenue as daily_net_revenue,
    from_orders.net_revenue as fct_orders_net_revenue
from daily
full outer join from_orders on daily.revenue_date = from_orders.order_date
where
    daily.revenue_date is null
    or from_orders.order_date is null
    or daily.order_count != from_orders.order_count
    or abs(daily.net_revenue - from_orders.net_revenue) > 0.005
