{#- True when the whole of `text` (SQL) matches `pattern` (a regular expression, given as a
    plain string, not a SQL literal). DuckDB has regexp_full_match; the default anchors the
    pattern for regexp_like (Spark, Databricks, Snowflake, Oracle, MySQL). Spark's string
    literals treat a backslash as an escape, so its override doubles them. -#}
{% macro regexp_full_match(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'speccomm')(text, pattern)) }}
{%- endmacro %}

{% macro default__regexp_full_match(text, pattern) -%}
    regexp_like({{ text }}, '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__regexp_full_match(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regexp_full_match(text, pattern) -%}
    regexp_like({{ text }}, '^(?:{{ pattern | replace("\\", "\\\\") }})$')
{%- endmacro %}
