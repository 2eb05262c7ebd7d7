{#- The rows of the SLAM checks on files: every row of the latest SLAM file of each file-name
    slice (provider × year × month in the file name) in dq_check_scope, sliced by that provider
    (site codes resolved) and the file name's year and month. financial_period_invalid and
    provider_code_mismatch are counted here (Great Expectations: row_period_start not null,
    provider_code_resolved equal to provider_code): a row whose period cannot be read has no
    other slice to be counted in. -#}
with

latest_files as (
    select latest_files.file_id
    from {{ ref('int_slam__latest_files_by_name') }} as latest_files
    where {{ in_dq_check_scope('latest_files.financial_year', 'latest_files.financial_month') }}
),

rows_placed as (
    select
        file_id,
        file_provider_code,
        file_financial_year,
        file_financial_month,
        source_file,
        source_row,
        service_line_code,
        pod_code,
        provider_code_raw,
        provider_code_resolved,
        financial_year_raw,
        financial_year,
        financial_month_raw,
        financial_month
    from {{ ref('int_slam__rows_placed') }}
),

final as (
    select
        rows_placed.file_provider_code as provider_code,
        rows_placed.file_financial_year as financial_year,
        rows_placed.file_financial_month as financial_month,
        rows_placed.source_file,
        rows_placed.source_row,
        cast(null as {{ type_text() }}) as record_ref,
        rows_placed.service_line_code,
        rows_placed.pod_code,
        cast(null as {{ type_text() }}) as context,
        'financial_year = "' || coalesce(rows_placed.financial_year_raw, '')
        || '", financial_month = "' || coalesce(rows_placed.financial_month_raw, '') || '"'
            as period_raw,
        rows_placed.provider_code_raw,
        -- the values Great Expectations states rules on (seeds/reference/dq_checks.csv, expectation):
        -- the first day of the period the row states (NULL when its year or month is not valid)
        -- and the row's provider (site codes resolved), equal to the file name's provider_code
        {{ date_of_financial_period('rows_placed.financial_year', 'rows_placed.financial_month') }}
            as row_period_start,
        rows_placed.provider_code_resolved
    from rows_placed
    inner join latest_files
        on rows_placed.file_id = latest_files.file_id
)

select * from final
