{#- `text` with every leading and trailing character that is one of `characters` (a SQL
    string) removed: ANSI trim(both … from …) (Spark, Postgres); DuckDB's two-argument trim. -#}
{% macro trim_characters(text, characters) -%}
    {{ return(adapter.dispatch('trim_characters', 'speccomm')(text, characters)) }}
{%- endmacro %}

{% macro default__trim_characters(text, characters) -%}
    trim(both {{ characters }} from {{ text }})
{%- endmacro %}

{% macro duckdb__trim_characters(text, characters) -%}
    trim({{ text }}, {{ characters }})
{%- endmacro %}
