{#- A relation (for a from clause) with one row per day from `start_date` up to but not
    including `end_date` (SQL date expressions), in column day_value. No ANSI form: DuckDB's
    range table function, Spark's explode(sequence(…)); other engines say so at compile time. -#}
{% macro day_series(start_date, end_date) -%}
    {{ return(adapter.dispatch('day_series', 'speccomm')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__day_series(start_date, end_date) -%}
    {{ exceptions.raise_compiler_error("day_series: no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__day_series(start_date, end_date) -%}
    (select range as day_value from range({{ start_date }}, {{ end_date }}, interval 1 day))
{%- endmacro %}

{% macro spark__day_series(start_date, end_date) -%}
    (select explode(sequence({{ start_date }}, {{ end_date }} - interval 1 day, interval 1 day)) as day_value)
{%- endmacro %}
