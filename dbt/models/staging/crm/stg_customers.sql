-- depends_on: {{ ref('raw_customers') }}
-- One row per customer: the CRM re-delivers some customers (D01); keep the newest delivery.
with source as (
    select * from {{ source('crm', 'customers') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by _loaded_at desc, email asc
        ) as delivery_rank
    from source
    where customer_id is not null
)

select
    cast(customer_id as {{ dbt.type_int() }}) as customer_id,
    first_name,
    last_name,
    first_name || ' ' || last_name as full_name,
    lower(email) as email,
    upper(country_code) as country_code,
    cast(signed_up_at as {{ dbt.type_timestamp() }}) as signed_up_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from ranked
where delivery_rank = 1
