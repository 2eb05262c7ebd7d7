{#- on-run-start (dbt_project.yml): every source declared in schema `raw` that does not exist
    yet is created empty, with the columns and types its YAML declares. The nightly's loader
    (speccomm.load, Python) creates and fills these tables before dbt runs, so there this is a
    no-op; on a fresh development database it lets `dbt build -s <model>+`, `dbt test` and the
    unit tests run with no landing file loaded. The same goes for the data-quality runner's
    tables (source dq_results, meta create_if_missing), which the DQMI views read: the nightly
    creates them first (speccomm.quality.tables, with their keys), a fresh development
    database gets them here. On Spark the raw tables are the loader's
    Parquet files, registered by register_raw_sources: nothing to create. tests/python/test_dbt_habits.py checks that the
    declared columns are those the loader creates. -#}
{% macro create_missing_raw_tables() %}
    {%- if execute and target.type != 'spark' -%}
        {%- set created = [] -%}
        {%- for source in graph.sources.values()
            if source.source_meta.get('create_if_missing', source.schema == 'raw')
            and (source.schema ~ '.' ~ source.identifier) not in created
            and source.columns | length > 0 -%}
            {%- set columns = [] -%}
            {%- for column in source.columns.values() -%}
                {%- do columns.append(adapter.quote(column.name) ~ ' ' ~ column.data_type) -%}
            {%- endfor -%}
            {%- do run_query('create schema if not exists ' ~ source.schema) -%}
            {%- do run_query(
                'create table if not exists ' ~ source.schema ~ '.' ~ source.identifier
                ~ ' (' ~ columns | join(', ') ~ ')'
            ) -%}
            {%- do created.append(source.schema ~ '.' ~ source.identifier) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
