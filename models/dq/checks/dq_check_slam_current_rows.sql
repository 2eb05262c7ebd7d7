{#- The rows of the SLAM checks on current rows (after restatement): one row per current row
    of the slices in dq_check_scope, sliced by the provider in the file name (site codes
    resolved) and the row's placed financial year and month. Each fails_<check_id> column is
    true when the row fails that check (docs/data-quality-checks.md); the checks whose rule Great
    Expectations states on a column (price, activity, record_type: the registry's expectation)
    have no flag. -#}
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

final as (
    select
        current_rows.file_provider_code as provider_code,
        current_rows.placed_financial_year as financial_year,
        current_rows.placed_financial_month as financial_month,
        current_rows.source_file,
        current_rows.source_row,
        cast(null as {{ type_text() }}) as record_ref,
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
        -- the values Great Expectations states rules on (seeds/reference/dq_checks.csv, expectation)
        current_rows.activity,
        current_rows.price,
        current_rows.record_type,
        {{ icb_code_checks('current_rows') }},
        not {{ is_known_service_line('current_rows.service_line_code') }}
            as fails_service_line_unknown,
        not {{ is_known_pod('current_rows.pod_code') }}
            as fails_pod_unknown,
        {{ is_default_gp_practice('current_rows.gp_practice_code') }}
            as fails_gp_practice_default
    from current_rows
)

select * from final
