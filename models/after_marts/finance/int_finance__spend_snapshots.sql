{{ config(
    materialized=incremental_materialization(),
    incremental_strategy=incremental_strategy_for('delete+insert'),
    unique_key='snapshot_slot',
    partition_by=incremental_partition_by(['snapshot_slot']),
    full_refresh=none if var('spend_snapshots_restart', false) else false,
    on_schema_change='sync_all_columns',
) }}
{#- This build's SLAM figures and the previous build's, side by side, for "what moved since the
    last night": every flow × expected month of int_finance__slam_flow_estimates as the
    'current' slot; on each build the rows of the old 'current' slot become 'previous' and the
    older ones are dropped (delete+insert on snapshot_slot; on Spark insert_overwrite of the
    slot partitions, which reads the old 'current' before replacing it, docs/decisions/0036). full_refresh is off for this model
    only, so the nightly's full refresh after a code change keeps the comparison; the first
    build has no 'previous' slot. Var spend_snapshots_restart (a Spark night on a cluster whose
    tables are not the published build's, speccomm.spark.night) lets a full refresh rebuild
    it: its slots there are another build's. -#}
{%- set figure_columns = [
    'provider_code', 'icb_code', 'funding_stream', 'financial_year', 'financial_month',
    'is_submitted', 'actual_gbp', 'estimated_gbp', 'winning_file', 'latest_received_at',
] -%}
with

current_figures as (
    select
        'current' as snapshot_slot,
        '{{ invocation_id }}' as invocation_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as built_at,
        {{ figure_columns | join(',\n        ') }}
    from {{ ref('int_finance__slam_flow_estimates') }}
),

{% if is_incremental() -%}
previous_figures as (
    select
        'previous' as snapshot_slot,
        invocation_id,
        built_at,
        {{ figure_columns | join(',\n        ') }}
    from {{ this }}
    where snapshot_slot = 'current' and invocation_id != '{{ invocation_id }}'
),

{% endif -%}
final as (
    select * from current_figures
    {%- if is_incremental() %}
    union all
    select * from previous_figures
    {%- endif %}
)

select * from final
