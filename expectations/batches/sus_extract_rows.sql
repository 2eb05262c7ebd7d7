-- Every row of the current SUS extracts (the latest extract of each dataset × month), APC and
-- OP together, duplicate copies of a sus_record_id included, sliced by the row's provider
-- (site codes resolved) and the financial year and month of the extract's calendar month.
-- ICB codes are valid when in force on the first day of the activity date's month (else the
-- extract's month). Never select pseudo_patient_id here; sus_record_id is not shown to
-- providers either (provider_record_ref identifies a record to its provider).
with

records_placed as (
    select
        provider_code_resolved,
        financial_year,
        financial_month,
        dataset,
        source_file,
        source_row,
        provider_record_ref,
        occurrence_in_extract,
        service_line_code,
        pod_code,
        icb_of_residence_code_raw,
        icb_of_residence_code,
        icb_of_registration_code_raw,
        icb_of_registration_code,
        service_line_code_raw,
        pod_code_raw,
        gp_practice_code_raw,
        gp_practice_code,
        tariff_price_raw,
        tariff_price,
        nhs_number_status_raw,
        nhs_number_status,
        activity_date_raw,
        activity_date,
        discharge_date_raw,
        discharge_date,
        file_month_start,
        cast(coalesce(date_trunc('month', activity_date), file_month_start) as date) as validity_date
    from intermediate.int_sus__records_placed
    where
        is_current_extract
        and exists (
            select 1 from dq_scope
            where dq_scope.financial_year = int_sus__records_placed.financial_year
                and dq_scope.financial_month = int_sus__records_placed.financial_month
        )
),

icb_codes as (
    select
        code,
        icb_code,
        valid_from,
        valid_to
    from intermediate.int_icb__codes_in_force
),

service_lines as (
    select distinct service_line_code
    from staging.stg_reference__service_lines
),

points_of_delivery as (
    select distinct pod_code
    from staging.stg_reference__points_of_delivery
),

final as (
    select
        coalesce(records_placed.provider_code_resolved, 'UNKNOWN') as provider_code,
        records_placed.financial_year,
        records_placed.financial_month,
        records_placed.source_file,
        records_placed.source_row,
        records_placed.provider_record_ref as record_ref,
        records_placed.service_line_code,
        records_placed.pod_code,
        records_placed.dataset as context,
        records_placed.icb_of_residence_code_raw,
        records_placed.icb_of_registration_code_raw,
        records_placed.service_line_code_raw,
        records_placed.pod_code_raw,
        records_placed.gp_practice_code_raw,
        records_placed.tariff_price_raw,
        records_placed.nhs_number_status_raw,
        'activity_date = "' || coalesce(records_placed.activity_date_raw, '')
        || '", discharge_date = "' || coalesce(records_placed.discharge_date_raw, '') || '"'
            as dates_raw,
        'copy ' || records_placed.occurrence_in_extract || ' of the same record in the extract'
            as duplicate_raw,
        records_placed.icb_of_residence_code is null
            as fails_icb_of_residence_missing,
        records_placed.icb_of_residence_code is not null and residence.icb_code is null
            as fails_icb_of_residence_invalid,
        records_placed.icb_of_registration_code is null
            as fails_icb_of_registration_missing,
        records_placed.icb_of_registration_code is not null and registration.icb_code is null
            as fails_icb_of_registration_invalid,
        records_placed.service_line_code is not null and service_lines.service_line_code is null
            as fails_service_line_unknown,
        points_of_delivery.pod_code is null
            as fails_pod_unknown,
        nullif(trim(records_placed.tariff_price_raw), '') is not null and records_placed.tariff_price is null
            as fails_price_invalid,
        records_placed.nhs_number_status is distinct from '01'
            as fails_nhs_number_not_verified,
        coalesce(records_placed.gp_practice_code in ('V81997', 'V81998', 'V81999'), false)
            as fails_gp_practice_default,
        records_placed.occurrence_in_extract > 1
            as fails_sus_record_duplicate,
        records_placed.activity_date is null
        or date_trunc('month', records_placed.activity_date) <> records_placed.file_month_start
        or (
            nullif(trim(records_placed.discharge_date_raw), '') is not null
            and records_placed.discharge_date is null
        )
        or coalesce(records_placed.discharge_date < records_placed.activity_date, false)
            as fails_sus_dates_inconsistent
    from records_placed
    left join icb_codes as residence
        on
            records_placed.icb_of_residence_code = residence.code
            and records_placed.validity_date between residence.valid_from and residence.valid_to
    left join icb_codes as registration
        on
            records_placed.icb_of_registration_code = registration.code
            and records_placed.validity_date between registration.valid_from and registration.valid_to
    left join service_lines
        on records_placed.service_line_code = service_lines.service_line_code
    left join points_of_delivery
        on records_placed.pod_code = points_of_delivery.pod_code
)

select * from final
