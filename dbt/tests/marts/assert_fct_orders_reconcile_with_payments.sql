-- fct_orders.amount_paid must add up to the successful payments of the orders it holds.
with facts as (
    select sum(amount_paid) as amount_paid from {{ ref('fct_orders') }}
),

payments as (
    select sum(payments.amount) as amount_paid
    from {{ ref('stg_payments') }} as payments
    inner join {{ ref('fct_orders') }} as orders on payments.order_id = orders.order_id
    where payments.status = 'success'
)

select
    facts.amount_paid as fct_orders_amount_paid,
    payments.amount_paid as payments_amount_paid
from facts
cross join payments
where abs(facts.amount_paid - payments.amount_paid) > 0.005
