{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='ordered_at') }}
select ordered_at, count(*) as orders, sum(amount) as revenue
from {{ ref('stg_orders') }}
{% if is_incremental() %}where ordered_at >= (select max(ordered_at) from {{ this }}){% endif %}
group by ordered_at
