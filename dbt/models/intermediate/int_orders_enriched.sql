{{ config(event_time='ordered_at') }}
-- One row per order with its lines, payments and shipment rolled up, a payment status and fulfilment
-- durations. The unit tests in _intermediate__models.yml pin the edge cases (no lines, failed or split
-- payments, overpayment, cancelled orders, unshipped orders).
with orders as (
    select * from {{ ref('int_orders_attributed') }}
),

lines as (
    select
        order_id,
        count(*) as item_count,
        sum(quantity) as unit_count,
        sum(gross_amount) as gross_amount,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as net_amount
    from {{ ref('int_order_lines') }}
    group by order_id
),

payments as (
    select
        order_id,
        count(*) as payment_attempts,
        sum(case when status = 'success' then amount else 0 end) as amount_paid,
        min(case when status = 'success' then paid_at end) as first_paid_at
    from {{ ref('stg_payments') }}
    group by order_id
),

shipments as (
    select
        order_id,
        min(shipped_at) as shipped_at,
        max(delivered_at) as delivered_at
    from {{ ref('stg_shipments') }}
    group by order_id
),

joined as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.status,
        orders.channel,
        coalesce(lines.item_count, 0) as item_count,
        coalesce(lines.unit_count, 0) as unit_count,
        coalesce(lines.gross_amount, 0) as gross_amount,
        coalesce(lines.discount_amount, 0) as discount_amount,
        coalesce(lines.net_amount, 0) as net_amount,
        coalesce(payments.payment_attempts, 0) as payment_attempts,
        coalesce(payments.amount_paid, 0) as amount_paid,
        payments.first_paid_at,
        shipments.shipped_at,
        shipments.delivered_at
    from orders
    left join lines on orders.order_id = lines.order_id
    left join payments on orders.order_id = payments.order_id
    left join shipments on orders.order_id = shipments.order_id
)

select
    order_id,
    customer_id,
    ordered_at,
    cast(ordered_at as date) as order_date,
    status,
    channel,
    item_count,
    unit_count,
    gross_amount,
    discount_amount,
    net_amount,
    payment_attempts,
    amount_paid,
    first_paid_at,
    case
        when status = 'cancelled' and amount_paid = 0 then 'not_required'
        when amount_paid = 0 then 'unpaid'
        when amount_paid < net_amount then 'partially_paid'
        when amount_paid > net_amount then 'overpaid'
        else 'paid'
    end as payment_status,
    shipped_at,
    delivered_at,
    {{ dbt.datediff('ordered_at', 'shipped_at', 'day') }}
        as days_to_ship,
    {{ dbt.datediff('shipped_at', 'delivered_at', 'day') }}
        as days_in_transit
from joined
