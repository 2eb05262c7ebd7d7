{#- One row per current SLAM row (after restatement). -#}
with

current_rows as (
    select
        file_id,
        source_file,
        source_row,
        file_provider_code,
        provider_code_resolved,
        commissioner_code,
        placed_financial_year,
        placed_financial_month,
        period_start,
        record_type,
        service_line_code,
        pod_code,
        hrg_code,
        treatment_function_code,
        gp_practice_code,
        funding_stream,
        {{ fact_attribution_inputs() }},
        activity_raw,
        activity,
        price_raw,
        price
    from {{ ref('int_slam__current_rows') }}
),

with_keys as (
    {{ with_dimension_keys(
        'current_rows',
        provider_code='file_provider_code',
        service_line_code='service_line_code', service_line_on='period_start',
        pod_code='pod_code',
        icb_code='attributed_icb_code', icb_on='period_start',
        current_icb_code_as='attributed_current_icb_code',
        pathfinder_funding_stream='funding_stream',
    ) }}
),

final as (
    select
        {{ lineage_key('with_keys.file_id', 'with_keys.source_row') }} as contract_activity_key,
        with_keys.file_provider_code as provider_code,
        with_keys.provider_code_resolved as provider_code_stated,
        with_keys.commissioner_code,
        with_keys.placed_financial_year as financial_year,
        with_keys.placed_financial_month as financial_month,
        with_keys.period_start as period_start_date,
        with_keys.record_type,
        with_keys.service_line_code,
        with_keys.pod_code,
        with_keys.hrg_code,
        with_keys.treatment_function_code,
        with_keys.gp_practice_code,
        with_keys.funding_stream,
        {{ fact_attribution_columns('with_keys') }},
        with_keys.activity,
        with_keys.activity_raw,
        with_keys.price,
        with_keys.price_raw,
        with_keys.provider_key,
        with_keys.service_line_key,
        with_keys.pod_key,
        with_keys.attributed_icb_key,
        with_keys.funding_stream as funding_stream_key,
        {{ date_key('with_keys.period_start') }} as date_key,
        with_keys.file_id,
        with_keys.source_file,
        with_keys.source_row
    from with_keys
)

select * from final
