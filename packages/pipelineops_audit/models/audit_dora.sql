{#- The four numbers per environment over the last var pipelineops_audit_days days (default 30): the
    same definitions as `pipelineops status --since <n>d` (src/pipelineops/plan/audit.py). -#}
{%- set days = var('pipelineops_audit_days', 30) | int -%}
select
    environment,
    {{ days }} as window_days,
    sum(case when published_at is not null then 1 else 0 end) as deploys,
    sum(case when published_at is not null then 1 else 0 end) * 1.0 / {{ days }} as deploys_per_day,
    median(lead_time_seconds) / 3600.0 as lead_time_hours,
    sum(case when is_failure then 1 else 0 end) as failures,
    count(*) as attempts,
    sum(case when is_failure then 1 else 0 end) * 1.0 / count(*) as change_failure_rate,
    median(time_to_restore_seconds) / 3600.0 as time_to_restore_hours
from {{ ref('audit_deploys') }}
where decided_at > {{ dbt.dateadd('day', -days, dbt.current_timestamp()) }}
group by environment
