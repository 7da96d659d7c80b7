-- Deploys that published, per environment and calendar day (of the warehouse's time zone).
select
    environment,
    cast(published_at as date) as deploy_date,
    count(*) as deploys
from {{ ref('audit_deploys') }}
where published_at is not null
group by environment, cast(published_at as date)
