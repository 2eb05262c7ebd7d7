{#- Written between a CTE's name and its body (`name as {{ streamed_cte() }} (select …)`): the
    CTE is computed again where each reader reads it, not held whole. DuckDB materializes a CTE
    read more than once, and an operator over a whole materialized CTE cannot spill: at national
    scale int_sus__ir_assignments' records were the night's peak (docs/performance.md, "The
    identification rules' memory"). Spark has no such clause (its planner decides where a CTE
    is computed): nothing is written there. -#}
{% macro streamed_cte() -%}
    {{ return(adapter.dispatch('streamed_cte', 'speccomm')()) }}
{%- endmacro %}

{% macro default__streamed_cte() -%}
{%- endmacro %}

{% macro duckdb__streamed_cte() -%}
    not materialized
{%- endmacro %}
