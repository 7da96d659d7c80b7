{#-
    One row per deploy that reached a verdict: published (a successful cutover of kind deploy) or blocked
    by a pre-cutover gate (its last finish row failed with "pre-cutover gate failed").
    - lead_time_seconds: commit time (DEPLOY_COMMITS) -> publish.
    - rolled_back: a rollback (or the automatic re-publish after a failed smoke/grant check) was the next
      publication after this deploy's. (pipelineops status also follows multi-step rollbacks through its
      lineage; the two agree for one-step rollbacks, the common case.)
    - time_to_restore_seconds: publish -> that rollback.
    - is_failure: rolled back or blocked (the change failure rate's numerator).
-#}
with events as (
    select
        environment,
        deploy_id,
        kind,
        step,
        status,
        git_sha,
        error,
        coalesce(finished_at, started_at) as event_at
    from {{ source('pipelineops_journal', 'deploy_state') }}
),

publications as (
    select environment, deploy_id, kind, event_at as published_at
    from events
    where step = 'cutover' and status = 'succeeded'
),

deploy_publications as (
    select environment, deploy_id, min(published_at) as published_at
    from publications
    where kind = 'deploy'
    group by environment, deploy_id
),

next_publications as (
    select
        p.environment,
        p.deploy_id,
        p.published_at,
        min(case when q.kind = 'deploy' then q.published_at end) as next_deploy_at,
        min(case when q.kind <> 'deploy' then q.published_at end) as next_rollback_at
    from deploy_publications as p
    left join publications as q
        on q.environment = p.environment and q.published_at > p.published_at
    group by p.environment, p.deploy_id, p.published_at
),

finishes as (
    select
        environment,
        deploy_id,
        status,
        error,
        event_at,
        row_number() over (partition by environment, deploy_id order by event_at desc) as newest
    from events
    where kind = 'deploy' and step = 'finish'
),

blocked as (
    select environment, deploy_id, event_at as blocked_at
    from finishes
    where newest = 1 and status = 'failed' and error = 'pre-cutover gate failed'
),

shas as (
    select environment, deploy_id, max(git_sha) as git_sha
    from events
    where kind = 'deploy'
    group by environment, deploy_id
),

verdicts as (
    select
        coalesce(n.environment, b.environment) as environment,
        coalesce(n.deploy_id, b.deploy_id) as deploy_id,
        n.published_at,
        b.blocked_at,
        case
            when n.next_rollback_at is not null
                and (n.next_deploy_at is null or n.next_rollback_at <= n.next_deploy_at)
                then n.next_rollback_at
        end as restored_at
    from next_publications as n
    full outer join blocked as b
        on b.environment = n.environment and b.deploy_id = n.deploy_id
)

select
    v.environment,
    v.deploy_id,
    s.git_sha,
    c.committed_at,
    v.published_at,
    v.blocked_at,
    coalesce(v.published_at, v.blocked_at) as decided_at,
    case
        when c.committed_at is not null and v.published_at is not null and c.committed_at <= v.published_at
            then {{ dbt.datediff('c.committed_at', 'v.published_at', 'second') }}
    end as lead_time_seconds,
    v.restored_at is not null as rolled_back,
    v.blocked_at is not null and v.published_at is null as blocked,
    case
        when v.restored_at is not null then {{ dbt.datediff('v.published_at', 'v.restored_at', 'second') }}
    end as time_to_restore_seconds,
    (v.restored_at is not null or (v.blocked_at is not null and v.published_at is null)) as is_failure
from verdicts as v
left join shas as s
    on s.environment = v.environment and s.deploy_id = v.deploy_id
left join {{ source('pipelineops_journal', 'deploy_commits') }} as c
    on c.environment = v.environment and c.deploy_id = v.deploy_id
