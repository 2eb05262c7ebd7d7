-- The current SUS extracts' rows per slice, by file. Read from the staged rows and the file
-- list, not from the view intermediate.int_sus__records_placed, which would join every staged
-- row to its repeat number (21 M rows at national scale) for a count.
with

current_files as (
    select
        file_id,
        financial_year,
        financial_month
    from intermediate.int_sus__extract_files
    where is_current_extract
),

-- provider codes resolved as in int_sus__records_placed (site code -> trust)
provider_codes as (
    select
        code,
        provider_code
    from intermediate.int_provider__codes
),

staged as (
    select
        file_id,
        provider_code
    from staging.stg_sus__records
    where file_id in (select current_files.file_id from current_files)
),

resolved as (
    select
        coalesce(row_known.provider_code, row_trust.provider_code, staged.provider_code, 'UNKNOWN')
            as provider_code,
        current_files.financial_year,
        current_files.financial_month,
        staged.file_id
    from staged
    inner join current_files
        on staged.file_id = current_files.file_id
    left join provider_codes as row_known
        on staged.provider_code = row_known.code
    left join provider_codes as row_trust
        on
            length(staged.provider_code) = 5
            and left(staged.provider_code, 3) = row_trust.code
)

select
    provider_code,
    financial_year,
    financial_month,
    'extract ' || file_id || ' rows ' || count(*) as part,
    count(*) as row_count
from resolved
group by provider_code, financial_year, financial_month, file_id
