{#- The partition columns of a model incremental by slice: its slice key on Spark (where
    insert_overwrite replaces whole partitions, so a partition must be exactly a unit the
    model rebuilds), none elsewhere (DuckDB deletes the slices in a pre-hook). -#}
{% macro incremental_partition_by(columns) -%}
    {{ return(adapter.dispatch('incremental_partition_by', 'speccomm')(columns)) }}
{%- endmacro %}

{% macro default__incremental_partition_by(columns) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__incremental_partition_by(columns) -%}
    {{ return(columns) }}
{%- endmacro %}
