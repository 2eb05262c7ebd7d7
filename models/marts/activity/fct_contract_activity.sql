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
        icb_of_registration_code_raw,
        registration_icb_valid,
        icb_of_residence_code_raw,
        residence_icb_valid,
        funding_stream,
        attributed_icb_code,
        attribution_method,
        icb_code_superseded,
        host_icb_valid,
        activity_raw,
        activity,
        price_raw,
        price
    from {{ ref('int_slam__current_rows') }}
),

dim_service_line as (
    select
        service_line_key,
        service_line_code,
        service_category,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from {{ ref('dim_service_line') }}
    where not is_unknown_member
),

dim_icb as (
    select
        icb_key,
        icb_code,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from {{ ref('dim_icb') }}
    where not is_unknown_member
),

current_boundaries as (
    select
        icb_code,
        current_icb_code
    from {{ ref('int_icb__current_boundaries') }}
),

dim_provider as (
    select
        provider_key,
        provider_code,
        is_nhs_trust
    from {{ ref('dim_provider') }}
),

dim_point_of_delivery as (
    select
        pod_key,
        pod_code,
        is_high_cost_drugs_devices
    from {{ ref('dim_point_of_delivery') }}
),

final as (
    select
        {{ lineage_key('current_rows.file_id', 'current_rows.source_row') }} as contract_activity_key,
        current_rows.file_provider_code as provider_code,
        current_rows.provider_code_resolved as provider_code_stated,
        current_rows.commissioner_code,
        current_rows.placed_financial_year as financial_year,
        current_rows.placed_financial_month as financial_month,
        current_rows.period_start as period_start_date,
        current_rows.record_type,
        current_rows.service_line_code,
        current_rows.pod_code,
        current_rows.hrg_code,
        current_rows.treatment_function_code,
        current_rows.gp_practice_code,
        current_rows.funding_stream,
        current_rows.registration_icb_valid as icb_of_registration_code,
        current_rows.icb_of_registration_code_raw,
        current_rows.residence_icb_valid as icb_of_residence_code,
        current_rows.icb_of_residence_code_raw,
        current_rows.attributed_icb_code,
        current_rows.attribution_method,
        current_boundaries.current_icb_code as attributed_current_icb_code,
        current_rows.icb_code_superseded,
        current_rows.host_icb_valid as provider_host_icb_code,
        {{ is_pathfinder_scope(
            'current_rows.funding_stream', 'dim_provider.is_nhs_trust', 'dim_service_line.service_category',
            'dim_point_of_delivery.is_high_cost_drugs_devices'
        ) }} as is_pathfinder_scope,
        current_rows.activity,
        current_rows.activity_raw,
        current_rows.price,
        current_rows.price_raw,
        coalesce(dim_provider.provider_key, {{ unknown_key() }}) as provider_key,
        coalesce(dim_service_line.service_line_key, {{ unknown_key() }}) as service_line_key,
        coalesce(dim_point_of_delivery.pod_key, {{ unknown_key() }}) as pod_key,
        coalesce(dim_icb.icb_key, {{ unknown_key() }}) as attributed_icb_key,
        current_rows.funding_stream as funding_stream_key,
        {{ date_key('current_rows.period_start') }} as date_key,
        current_rows.file_id,
        current_rows.source_file,
        current_rows.source_row
    from current_rows
    left join dim_provider
        on current_rows.file_provider_code = dim_provider.provider_code
    left join dim_service_line
        on
            current_rows.service_line_code = dim_service_line.service_line_code
            and current_rows.period_start between dim_service_line.valid_from and dim_service_line.valid_to
    left join dim_point_of_delivery
        on current_rows.pod_code = dim_point_of_delivery.pod_code
    left join current_boundaries
        on current_rows.attributed_icb_code = current_boundaries.icb_code
    left join dim_icb
        on
            current_rows.attributed_icb_code = dim_icb.icb_code
            and current_rows.period_start between dim_icb.valid_from and dim_icb.valid_to
)

select * from final
