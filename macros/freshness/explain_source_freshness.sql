{#- on-run-start (dbt_project.yml): `dbt source freshness` first says what it measures
    against. Each feed's age is taken as at the landing's newest file (its loaded_at_query in
    models/staging/landing/_landing__sources.yml), so a sample landing dated 2025-26 reads as
    it would have on the day its newest file arrived; landing.landing_files alone measures
    against today. Nothing is said for any other command. -#}
{% macro explain_source_freshness() %}
    {%- if execute and flags.WHICH in ('freshness', 'source-freshness', 'source') and target.type != 'spark' -%}
        {%- set found = run_query(
            "select max(received_at), cast(date_diff('day', max(received_at), timezone('UTC', now())) as integer)"
            ~ " from raw.file_registry where duplicate_of_file_id is null"
        ) -%}
        {%- set newest, age = found.rows[0][0], found.rows[0][1] -%}
        {%- if newest is none -%}
            {{ log("Source freshness: no landing file is loaded in this database yet (raw.file_registry is empty): "
                   ~ "run `make run`, or point SPECCOMM_DBT_DATABASE at a built warehouse.", info=True) }}
        {%- else -%}
            {{ log("Source freshness: each feed is measured as at the landing's newest file, received "
                   ~ newest ~ " UTC (" ~ age ~ " days ago), so a feed is late when it lags the rest of the "
                   ~ "landing; landing_files alone measures that newest file against today and warns after "
                   ~ "40 days without any file (on a sample landing from `speccomm generate`, dated 2024-26, "
                   ~ "it always warns). docs/operations.md, \"Late feeds\".", info=True) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
