{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ordered_at',
          begin='2026-12-01', batch_size='day') }}
select ordered_at, sum(amount) as revenue from {{ ref('stg_orders') }} group by ordered_at
