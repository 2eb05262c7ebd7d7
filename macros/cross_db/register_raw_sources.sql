{#- The raw layer as the relations of schema `raw` that the sources name. On DuckDB the loader
    creates them in the warehouse file (speccomm.load.raw_layer): the registry and rejected
    files as tables, each feed's rows as a view over its Parquet folder, so there is nothing
    to do. On Spark they are re-pointed on every run over the same folder (dropping an external
    table leaves its files alone): the registry and rejected files over the loader's Parquet
    copies of them, each feed's rows over its folder of one file per loaded landing file (each
    in a `file_id=<id>` folder of its own), counted only while the registry holds its file_id,
    as on DuckDB (a file replaced by a new version stays for the kept versions of the build;
    decision 0030). -#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'speccomm')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set folder = var('raw_parquet_dir') -%}
        {%- do run_query('create schema if not exists raw') -%}
        {%- for table in ['file_registry', 'rejected_files'] -%}
            {%- do run_query('drop table if exists raw.' ~ table) -%}
            {%- do run_query("create table raw." ~ table ~ " using parquet location '" ~ folder ~ "/" ~ table ~ "'") -%}
        {%- endfor -%}
        {%- for feed in ['slam', 'sus', 'ledger', 'budget'] -%}
            {#- a metastore kept from before decision 0030 holds it as a table: Spark's DROP VIEW
                refuses a table and DROP TABLE a view -#}
            {%- set existing = adapter.get_relation(database=none, schema='raw', identifier=feed ~ '_rows') -%}
            {%- if existing is not none -%}
                {%- do run_query('drop ' ~ ('view' if existing.is_view else 'table') ~ ' raw.' ~ feed ~ '_rows') -%}
            {%- endif -%}
            {%- do run_query('drop table if exists raw.' ~ feed ~ '_rows_files') -%}
            {#- every file under the feed's file_id=<id> folders, file_id from the file itself:
                recursiveFileLookup reads them as one unpartitioned table (no partitions to
                register in the metastore) -#}
            {%- do run_query("create table raw." ~ feed ~ "_rows_files using parquet"
                ~ " options (recursiveFileLookup 'true') location '" ~ folder ~ "/" ~ feed ~ "_rows'") -%}
            {%- do run_query("create view raw." ~ feed ~ "_rows as select * from raw." ~ feed ~ "_rows_files"
                ~ " where file_id in (select registry.file_id from raw.file_registry as registry)") -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
