{#- The median of `expression` (SQL) over a group or window, the mean of the two middle values
    when their number is even. DuckDB and most engines name it median; Spark's exact
    equivalent is percentile(x, 0.5) (its median exists from 3.4 only). -#}
{% macro median_of(expression) -%}
    {{ return(adapter.dispatch('median_of', 'speccomm')(expression)) }}
{%- endmacro %}

{% macro default__median_of(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro spark__median_of(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
