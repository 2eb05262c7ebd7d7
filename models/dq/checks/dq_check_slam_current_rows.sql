{#- The rows of the SLAM checks on current rows (after restatement): one row per current row
    of the slices in dq_check_scope, sliced by the provider in the file name (site codes
    resolved) and the row's placed financial year and month. Each fails_<check_id> column is
    true when the row fails that check (docs/data-quality-checks.md). -#}
with

current_rows as (
    select
        file_provider_code,
        placed_financial_year,
        placed_financial_month,
        source_file,
        source_row,
        service_line_code,
        pod_code,
        commissioner_code,
        record_type,
        record_type_raw,
        icb_of_residence_code_raw,
        icb_of_residence_code,
        residence_icb_valid,
        icb_of_registration_code_raw,
        icb_of_registration_code,
        registration_icb_valid,
        icb_code_superseded,
        service_line_code_raw,
        pod_code_raw,
        gp_practice_code_raw,
        gp_practice_code,
        activity_raw,
        activity,
        price_raw,
        price
    from {{ ref('int_slam__current_rows') }} as current_rows
    where {{ in_dq_check_scope('current_rows.placed_financial_year', 'current_rows.placed_financial_month') }}
),

service_lines as (
    select distinct service_line_code
    from {{ ref('stg_reference__service_lines') }}
),

points_of_delivery as (
    select distinct pod_code
    from {{ ref('stg_reference__points_of_delivery') }}
),

final as (
    select
        current_rows.file_provider_code as provider_code,
        current_rows.placed_financial_year as financial_year,
        current_rows.placed_financial_month as financial_month,
        current_rows.source_file,
        current_rows.source_row,
        cast(null as varchar) as record_ref,
        current_rows.service_line_code,
        current_rows.pod_code,
        concat_ws(' ', 'commissioner ' || current_rows.commissioner_code, current_rows.record_type)
            as context,
        current_rows.icb_of_residence_code_raw,
        current_rows.icb_of_registration_code_raw,
        'registration = "' || coalesce(current_rows.icb_of_registration_code_raw, '')
        || '", residence = "' || coalesce(current_rows.icb_of_residence_code_raw, '') || '"'
            as icb_codes_raw,
        current_rows.service_line_code_raw,
        current_rows.pod_code_raw,
        current_rows.gp_practice_code_raw,
        current_rows.activity_raw,
        current_rows.price_raw,
        current_rows.record_type_raw,
        current_rows.icb_of_residence_code is null
            as fails_icb_of_residence_missing,
        current_rows.icb_of_residence_code is not null and current_rows.residence_icb_valid is null
            as fails_icb_of_residence_invalid,
        current_rows.icb_of_registration_code is null
            as fails_icb_of_registration_missing,
        current_rows.icb_of_registration_code is not null and current_rows.registration_icb_valid is null
            as fails_icb_of_registration_invalid,
        current_rows.icb_code_superseded
            as fails_icb_code_superseded,
        service_lines.service_line_code is null
            as fails_service_line_unknown,
        points_of_delivery.pod_code is null
            as fails_pod_unknown,
        current_rows.price is null
            as fails_price_invalid,
        current_rows.activity is null
            as fails_activity_invalid,
        coalesce(current_rows.activity < 0, false)
            as fails_activity_negative,
        {{ is_default_gp_practice('current_rows.gp_practice_code') }}
            as fails_gp_practice_default,
        current_rows.record_type is null
            as fails_record_type_invalid
    from current_rows
    left join service_lines
        on current_rows.service_line_code = service_lines.service_line_code
    left join points_of_delivery
        on current_rows.pod_code = points_of_delivery.pod_code
)

select * from final
