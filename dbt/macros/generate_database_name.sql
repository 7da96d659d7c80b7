{#- The database is never touched by colours or PR schemas: target.database, or a model's own database. -#}
{% macro generate_database_name(custom_database_name=none, node=none) -%}
    {{ default__generate_database_name(custom_database_name, node) }}
{%- endmacro %}
