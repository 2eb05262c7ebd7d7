{#- A date parsed from `text` (SQL) in `format` (strftime codes %Y, %m, %d); NULL when the
    text is not a real date in that format (2025-02-30). The default is try_to_date with the
    format in Java/Snowflake letters (Spark, Databricks, Snowflake); DuckDB has try_strptime. -#}
{% macro try_parse_date(text, format) -%}
    {{ return(adapter.dispatch('try_parse_date', 'speccomm')(text, format)) }}
{%- endmacro %}

{% macro default__try_parse_date(text, format) -%}
    try_to_date({{ text }}, '{{ format | replace("%Y", "yyyy") | replace("%m", "MM") | replace("%d", "dd") }}')
{%- endmacro %}

{% macro duckdb__try_parse_date(text, format) -%}
    cast(try_strptime({{ text }}, '{{ format }}') as date)
{%- endmacro %}
