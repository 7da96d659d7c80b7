{#-
    Row-count delta between the tested relation and another one (compare_model: a ref(), a source(), a
    relation, or a 'database.schema.identifier' string, e.g. the live colour of the same model).

      delta_pct = 100 * |count(model) - count(compare_model)| / count(compare_model)

    Returns one row when delta_pct exceeds warn_pct and a second when it also exceeds fail_pct; with the
    default thresholds (warn_if >= 1, error_if >= 2) that is a warning and a failure respectively. If the
    compare relation does not exist (first deploy), the test passes and says so in the log.
-#}
{% test row_count_delta(model, compare_model, warn_pct=5, fail_pct=20) %}
    {{ config(warn_if='>=1', error_if='>=2') }}
    {%- set compare = compare_model -%}
    {%- if compare is string -%}
        {%- set parts = compare.split('.') -%}
        {%- if parts | length != 3 -%}
            {{ exceptions.raise_compiler_error(
                "row_count_delta: compare_model string must be database.schema.identifier, got '" ~ compare ~ "'") }}
        {%- endif -%}
        {%- set compare = adapter.get_relation(database=parts[0], schema=parts[1], identifier=parts[2]) if execute else none -%}
        {%- if execute and compare is none -%}
            {{ log("row_count_delta: " ~ compare_model ~ " does not exist; nothing to compare", info=true) }}
        {%- endif -%}
    {%- endif -%}

    {%- if compare is none %}
        select 1 as threshold_pct where 1 = 0
    {%- else %}
        with counts as (
            select
                (select count(*) from {{ model }}) as model_rows,
                (select count(*) from {{ compare }}) as compare_rows
        ),

        delta as (
            select
                model_rows,
                compare_rows,
                case
                    when compare_rows = 0 and model_rows = 0 then 0
                    when compare_rows = 0 then 100
                    else 100.0 * abs(model_rows - compare_rows) / compare_rows
                end as delta_pct
            from counts
        ),

        thresholds as (
            select {{ warn_pct }} as threshold_pct, 'warn' as level
            union all
            select {{ fail_pct }} as threshold_pct, 'fail' as level
        )

        select
            thresholds.level,
            thresholds.threshold_pct,
            delta.delta_pct,
            delta.model_rows,
            delta.compare_rows
        from delta
        cross join thresholds
        where delta.delta_pct > thresholds.threshold_pct
    {%- endif %}
{% endtest %}
