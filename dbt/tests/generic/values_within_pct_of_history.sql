{#-
    Each of the latest `recent_periods` values of column_name (ordered by date_column) must lie within
    pct percent of the average of the `history_periods` rows before it. One failing row per value outside
    the band. Typical use: a daily aggregate that must not jump or collapse after a deploy.
    Rows whose history is shorter than min_history_periods are not judged.
-#}
{% test values_within_pct_of_history(
    model, column_name, date_column, pct=50, recent_periods=1, history_periods=28, min_history_periods=7
) %}
    with ordered as (
        select
            {{ date_column }} as period,
            {{ column_name }} as value,
            row_number() over (order by {{ date_column }} desc) as recency
        from {{ model }}
        where {{ column_name }} is not null
    ),

    judged as (
        select
            recent.period,
            recent.value,
            avg(history.value) as history_avg,
            count(history.value) as history_periods
        from ordered as recent
        inner join ordered as history
            on history.recency > recent.recency
            and history.recency <= recent.recency + {{ history_periods }}
        where recent.recency <= {{ recent_periods }}
        group by recent.period, recent.value
    )

    select
        period,
        value,
        history_avg,
        history_periods,
        {{ pct }} as allowed_pct
    from judged
    where
        history_periods >= {{ min_history_periods }}
        and abs(value - history_avg) > abs(history_avg) * {{ pct }} / 100.0
{% endtest %}
