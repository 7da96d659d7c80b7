-- D07: payment amounts must not be negative (refunds come through a separate feed); these are sign
-- errors. Raw-layer check: warns, staging drops them.
{{ config(severity='warn') }}

select
    payment_id,
    amount
from {{ ref('raw_payments') }}
where amount < 0
