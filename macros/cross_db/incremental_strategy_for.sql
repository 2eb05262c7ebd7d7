{#- The incremental strategy of a model incremental by slice: `strategy` (DuckDB's: append
    after a pre-hook deleting the slices, or delete+insert) on most engines; on Spark
    insert_overwrite, which with the model's partition_by (incremental_partition_by) and
    spark.sql.sources.partitionOverwriteMode=dynamic replaces the partitions the new rows
    fall in and no other (docs/decisions/0036). -#}
{% macro incremental_strategy_for(strategy) -%}
    {{ return(adapter.dispatch('incremental_strategy_for', 'speccomm')(strategy)) }}
{%- endmacro %}

{% macro default__incremental_strategy_for(strategy) -%}
    {{ return(strategy) }}
{%- endmacro %}

{% macro spark__incremental_strategy_for(strategy) -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}
