{#- The raw layer as the tables of schema `raw` that the sources name. On DuckDB the loader
    writes them into the warehouse file, so there is nothing to do. On Spark they are
    external tables over the raw layer's Parquet folders (one folder a table, written by
    speccomm.spark.raw_export), re-pointed on every run: dropping an external table leaves
    its files alone. -#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'speccomm')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set tables = ['file_registry', 'rejected_files', 'slam_rows', 'sus_rows', 'ledger_rows', 'budget_rows'] -%}
        {%- do run_query('create schema if not exists raw') -%}
        {%- for table in tables -%}
            {%- do run_query('drop table if exists raw.' ~ table) -%}
            {%- do run_query("create table raw." ~ table ~ " using parquet location '"
                ~ var('raw_parquet_dir') ~ "/" ~ table ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
