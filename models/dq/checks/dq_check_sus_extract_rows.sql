{#- The rows of the SUS checks: every row of the current SUS extracts (the latest extract of
    each dataset × month) of the slices in dq_check_scope, APC and OP together, duplicate
    copies of a sus_record_id included, sliced by the row's provider (site codes resolved) and
    the financial year and month of the extract's calendar month. ICB codes are valid when in
    force on the first day of the activity date's month (else the extract's month). Never
    select pseudo_patient_id here; sus_record_id is not shown to providers either
    (provider_record_ref identifies a record to its provider).
    The rows are int_sus__records_placed's (macros/sus/sus_records_placed.sql), read for the
    scope's current extract files only: a filter on the view's output would make DuckDB join
    all 21 M national rows first. -#}
{%- set scope_files -%}
    extract_files.is_current_extract
    and {{ in_dq_check_scope('extract_files.financial_year', 'extract_files.financial_month') }}
{%- endset %}
with

placed_rows as (
    select
        placed.provider_code_resolved,
        placed.provider_host_icb_code,
        placed.financial_year,
        placed.financial_month,
        placed.dataset,
        placed.source_file,
        placed.source_row,
        placed.provider_record_ref,
        placed.occurrence_in_extract,
        placed.service_line_code,
        placed.pod_code,
        placed.icb_of_residence_code_raw,
        placed.icb_of_residence_code,
        placed.icb_of_registration_code_raw,
        placed.icb_of_registration_code,
        placed.service_line_code_raw,
        placed.pod_code_raw,
        placed.gp_practice_code_raw,
        placed.gp_practice_code,
        placed.tariff_price_raw,
        placed.tariff_price,
        placed.nhs_number_status_raw,
        placed.nhs_number_status,
        placed.activity_date_raw,
        placed.activity_date,
        placed.discharge_date_raw,
        placed.discharge_date,
        placed.primary_diagnosis_code,
        placed.primary_procedure_code,
        placed.file_month_start,
        cast(coalesce(date_trunc('month', placed.activity_date), placed.file_month_start) as date)
            as activity_month_start
    from ({{ sus_records_placed(only_files_where=scope_files) }}) as placed
),

records_placed as (
    select
        placed_rows.*,
        {{ icbs_in_force_columns() }}
    from placed_rows
    {{ join_icbs_in_force('placed_rows', 'placed_rows.activity_month_start') }}
),

final as (
    select
        coalesce(records_placed.provider_code_resolved, {{ unknown_code() }}) as provider_code,
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
        'diagnosis = "' || {{ clinical_code_shown('records_placed.primary_diagnosis_code') }}
        || '", procedure = "' || {{ clinical_code_shown('records_placed.primary_procedure_code') }} || '"'
            as clinical_codes_raw,
        case
            when records_placed.occurrence_in_extract = 0 then 'sus_record_id blank'
            else 'copy ' || records_placed.occurrence_in_extract || ' of the same record in the extract'
        end as duplicate_raw,
        -- the values Great Expectations states rules on (seeds/reference/dq_checks.csv, expectation):
        -- a blank NHS number status is '' (not 01: GX's set expectations skip NULLs), and the
        -- record's copy number in its extract (0 = blank sus_record_id, 2 and more = a duplicate)
        records_placed.icb_of_residence_code,
        records_placed.icb_of_registration_code,
        records_placed.tariff_price,
        coalesce(records_placed.nhs_number_status, '') as nhs_number_status_or_blank,
        records_placed.occurrence_in_extract,
        {{ icb_code_checks('records_placed') }},
        records_placed.service_line_code is not null
        and not {{ is_known_service_line('records_placed.service_line_code') }}
            as fails_service_line_unknown,
        not {{ is_known_pod('records_placed.pod_code') }}
            as fails_pod_unknown,
        {{ is_default_gp_practice('records_placed.gp_practice_code') }}
            as fails_gp_practice_default,
        records_placed.activity_date is null
        or date_trunc('month', records_placed.activity_date) <> records_placed.file_month_start
        or (
            nullif(trim(records_placed.discharge_date_raw), '') is not null
            and records_placed.discharge_date is null
        )
        or coalesce(records_placed.discharge_date < records_placed.activity_date, false)
            as fails_sus_dates_inconsistent,
        records_placed.primary_diagnosis_code is not null
        and not coalesce(
            {{ ir_code_is_well_formed('diagnosis', ir_code('records_placed.primary_diagnosis_code')) }}, false
        )
        or records_placed.primary_procedure_code is not null
        and not coalesce(
            {{ ir_code_is_well_formed('procedure', ir_code('records_placed.primary_procedure_code')) }}, false
        )
            as fails_ir_code_invalid
    from records_placed
)

select * from final
