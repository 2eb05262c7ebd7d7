{#- The English name of a date's month in full (January). Spark's monthname abbreviates
    (Jan), so it formats the date instead. -#}
{% macro month_name(date_expression) -%}
    {{ return(adapter.dispatch('month_name', 'speccomm')(date_expression)) }}
{%- endmacro %}

{% macro default__month_name(date_expression) -%}
    monthname({{ date_expression }})
{%- endmacro %}

{% macro spark__month_name(date_expression) -%}
    date_format({{ date_expression }}, 'MMMM')
{%- endmacro %}
