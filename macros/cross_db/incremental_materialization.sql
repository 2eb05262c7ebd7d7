{#- The materialization of the models that are incremental on DuckDB: incremental on every
    engine. On DuckDB their pre-hooks delete the slices they rebuild and the body appends
    them; on Spark (Parquet: no DELETE without Delta Lake) they are partitioned by their slice
    and Spark's dynamic partition overwrite replaces exactly the partitions the new rows fall
    in (incremental_strategy_for, incremental_partition_by; docs/decisions/0036). A local
    Spark's tables are the night's own, so there every night is their first build. -#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'speccomm')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}
