{#- The values of `expression` joined by `separator` in the order of `order_by`, over the rows
    that pass `filter` (SQL condition, optional). The default is SQL:2016 listagg … within
    group (Spark 4, Databricks, Snowflake, Oracle); DuckDB writes the order inside the call. -#}
{% macro ordered_string_agg(expression, separator, order_by, filter=none) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'speccomm')(expression, separator, order_by, filter)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, separator, order_by, filter) -%}
    listagg({{ expression }}, '{{ separator }}') within group (order by {{ order_by }})
    {%- if filter %} filter (where {{ filter }}){% endif %}
{%- endmacro %}

{% macro duckdb__ordered_string_agg(expression, separator, order_by, filter) -%}
    string_agg({{ expression }}, '{{ separator }}' order by {{ order_by }})
    {%- if filter %} filter (where {{ filter }}){% endif %}
{%- endmacro %}
