-- Every row of the current SUS extracts (the latest extract of each dataset × month), APC and
-- OP together, duplicate copies of a sus_record_id included, sliced by the row's provider
-- (site codes resolved) and the financial year and month of the extract's calendar month.
-- ICB codes are valid when in force on the first day of the activity date's month (else the
-- extract's month). Never select pseudo_patient_id here; sus_record_id is not shown to
-- providers either (provider_record_ref identifies a record to its provider).
with

-- The rows are read from their parts, not from the view intermediate.int_sus__records_placed:
-- a filter on the view's output would make DuckDB join all 21 M national rows first. The
-- scope's files are chosen first and the staged rows read for those files only.
scoped_files as (
    select
        file_id,
        dataset,
        financial_year,
        financial_month,
        file_month_start
    from intermediate.int_sus__extract_files as extract_files
    where
        is_current_extract
        and exists (
            select 1 from dq_scope
            where dq_scope.financial_year = extract_files.financial_year
                and dq_scope.financial_month = extract_files.financial_month
        )
),

staged as (
    select
        file_id,
        source_file,
        source_row,
        provider_code,
        provider_record_ref,
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
        discharge_date
    from staging.stg_sus__records
    where file_id in (select scoped_files.file_id from scoped_files)
),

occurrences as (
    select
        file_id,
        source_row,
        occurrence_in_extract
    from intermediate.int_sus__record_occurrences
    where file_id in (select scoped_files.file_id from scoped_files)
),

-- provider codes resolved as in int_sus__records_placed (site code -> trust)
provider_codes as (
    select
        code,
        provider_code
    from intermediate.int_provider__codes
),

records_placed as (
    select
        coalesce(row_known.provider_code, row_trust.provider_code, staged.provider_code)
            as provider_code_resolved,
        scoped_files.financial_year,
        scoped_files.financial_month,
        scoped_files.dataset,
        staged.source_file,
        staged.source_row,
        staged.provider_record_ref,
        occurrences.occurrence_in_extract,
        staged.service_line_code,
        staged.pod_code,
        staged.icb_of_residence_code_raw,
        staged.icb_of_residence_code,
        staged.icb_of_registration_code_raw,
        staged.icb_of_registration_code,
        staged.service_line_code_raw,
        staged.pod_code_raw,
        staged.gp_practice_code_raw,
        staged.gp_practice_code,
        staged.tariff_price_raw,
        staged.tariff_price,
        staged.nhs_number_status_raw,
        staged.nhs_number_status,
        staged.activity_date_raw,
        staged.activity_date,
        staged.discharge_date_raw,
        staged.discharge_date,
        scoped_files.file_month_start,
        cast(coalesce(date_trunc('month', staged.activity_date), scoped_files.file_month_start) as date)
            as validity_date
    from staged
    inner join scoped_files
        on staged.file_id = scoped_files.file_id
    inner join occurrences
        on
            staged.file_id = occurrences.file_id
            and staged.source_row = occurrences.source_row
    left join provider_codes as row_known
        on staged.provider_code = row_known.code
    left join provider_codes as row_trust
        on
            length(staged.provider_code) = 5
            and left(staged.provider_code, 3) = row_trust.code
),

icb_codes as (
    select
        code,
        icb_code,
        valid_from,
        valid_to,
        is_superseded
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
        'registration = "' || coalesce(records_placed.icb_of_registration_code_raw, '')
        || '", residence = "' || coalesce(records_placed.icb_of_residence_code_raw, '') || '"'
            as icb_codes_raw,
        records_placed.service_line_code_raw,
        records_placed.pod_code_raw,
        records_placed.gp_practice_code_raw,
        records_placed.tariff_price_raw,
        records_placed.nhs_number_status_raw,
        'activity_date = "' || coalesce(records_placed.activity_date_raw, '')
        || '", discharge_date = "' || coalesce(records_placed.discharge_date_raw, '') || '"'
            as dates_raw,
        case
            when records_placed.occurrence_in_extract = 0 then 'sus_record_id blank'
            else 'copy ' || records_placed.occurrence_in_extract || ' of the same record in the extract'
        end as duplicate_raw,
        records_placed.icb_of_residence_code is null
            as fails_icb_of_residence_missing,
        records_placed.icb_of_residence_code is not null and residence.icb_code is null
            as fails_icb_of_residence_invalid,
        records_placed.icb_of_registration_code is null
            as fails_icb_of_registration_missing,
        records_placed.icb_of_registration_code is not null and registration.icb_code is null
            as fails_icb_of_registration_invalid,
        coalesce(registration.is_superseded or residence.is_superseded, false)
            as fails_icb_code_superseded,
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
        records_placed.occurrence_in_extract = 0
            as fails_sus_record_id_missing,
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
