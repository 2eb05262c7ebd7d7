{#- The materialization of the models that are incremental on DuckDB. Their pre-hooks delete
    the slices they rebuild, which Spark's Parquet tables cannot do (no DELETE without Delta
    Lake), so a local Spark build makes them tables, rebuilt whole each night; a cluster
    uses insert_overwrite by partition instead (docs/scale-out.md). -#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'speccomm')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
