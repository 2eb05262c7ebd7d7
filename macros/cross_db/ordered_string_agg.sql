{#- The values of `expression` joined by `separator` in the order of `order_by`, over the rows
    that pass `filter` (SQL condition, optional); each value once when `distinct` (then
    `order_by` must be `expression`). Nulls are skipped. The default is SQL:2016 listagg … within
    group (Spark 4, Databricks, Snowflake, Oracle); DuckDB writes the order inside the call.
    Spark 4.0's optimiser fails (ClassCastException in RewriteDistinctAggregates) on a distinct
    listagg beside another distinct aggregate in the same select: keep it the only one. -#}
{% macro ordered_string_agg(expression, separator, order_by, filter=none, distinct=false) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'speccomm')(expression, separator, order_by, filter, distinct)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, separator, order_by, filter, distinct) -%}
    listagg({% if distinct %}distinct {% endif %}{{ expression }}, '{{ separator }}') within group (order by {{ order_by }})
    {%- if filter %} filter (where {{ filter }}){% endif %}
{%- endmacro %}

{% macro duckdb__ordered_string_agg(expression, separator, order_by, filter, distinct) -%}
    string_agg({% if distinct %}distinct {% endif %}{{ expression }}, '{{ separator }}' order by {{ order_by }})
    {%- if filter %} filter (where {{ filter }}){% endif %}
{%- endmacro %}
