select id, customer, amount, ordered_at from {{ ref('stg_orders') }}
