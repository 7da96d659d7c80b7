{#-
    Where every node is built. A contract with the pipelineops CLI (README.md, "Schemas and vars"):

    1. var pipelineops_pr = <n> (positive integer): CI_PR_<n>, or CI_PR_<n>_<CUSTOM> with a custom schema
       (seeds included: CI_PR_<n>_RAW).
    2. otherwise this project's own seeds always go to RAW: the raw layer is shared, like a loader-owned
       database. Seeds of installed packages (node.package_name != project_name) follow rules 3 and 4.
    3. var pipelineops_colour = BLUE | GREEN: <BASE>__<COLOUR>, BASE = custom schema or target.schema,
       upper-cased. Any other value is a compiler error.
    4. otherwise dbt's default (developer use).
    An empty string counts as unset for both vars.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set custom = (custom_schema_name | trim) if custom_schema_name is not none else '' -%}
    {%- set pr = pipelineops_pr_number() -%}
    {%- set colour = pipelineops_colour() -%}
    {%- if pr is not none -%}
        {{ 'CI_PR_' ~ pr ~ (('_' ~ custom | upper) if custom else '') }}
    {%- elif node is not none and node.resource_type == 'seed' and node.package_name == project_name -%}
        RAW
    {%- elif colour is not none -%}
        {{ (custom if custom else target.schema) | upper ~ '__' ~ colour }}
    {%- else -%}
        {{ default__generate_schema_name(custom_schema_name, node) }}
    {%- endif -%}
{%- endmacro %}


{% macro pipelineops_pr_number() -%}
    {%- set raw = var('pipelineops_pr', none) -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = raw | string | trim -%}
    {%- if not text.isdigit() or (text | int) < 1 -%}
        {{ exceptions.raise_compiler_error(
            "var pipelineops_pr must be a positive integer (the pull request number), got '" ~ raw ~ "'") }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}


{% macro pipelineops_colour() -%}
    {%- set raw = var('pipelineops_colour', none) -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if raw not in ['BLUE', 'GREEN'] -%}
        {{ exceptions.raise_compiler_error(
            "var pipelineops_colour must be BLUE or GREEN, got '" ~ raw ~ "'") }}
    {%- endif -%}
    {{ return(raw) }}
{%- endmacro %}
