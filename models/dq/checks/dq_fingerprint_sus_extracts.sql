{#- What the SUS check rows of a slice depend on: the current extracts' rows per slice
    (provider, site codes resolved × financial year × month), by file. Read from the staged
    rows and the file list, not from int_sus__records_placed, which would join every staged
    row to its repeat number (21 M rows at national scale) for a count. -#}
with

current_files as (
    select
        file_id,
        financial_year,
        financial_month
    from {{ ref('int_sus__extract_files') }}
    where is_current_extract
),

provider_codes as (
    select
        code,
        provider_code,
        host_icb_code
    from {{ ref('int_provider__codes') }}
),

staged as (
    select
        file_id,
        provider_code
    from {{ ref('stg_sus__records') }}
    where file_id in (select current_files.file_id from current_files)
),

resolved as (
    select
        coalesce({{ resolved_provider_code('staged.provider_code', 'row') }}, {{ unknown_code() }}) as provider_code,
        current_files.financial_year,
        current_files.financial_month,
        staged.file_id
    from staged
    inner join current_files
        on staged.file_id = current_files.file_id
    {{ join_provider_codes('staged.provider_code', 'row') }}
),

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        'extract ' || file_id || ' rows ' || count(*) as part,
        count(*) as row_count
    from resolved
    group by provider_code, financial_year, financial_month, file_id
)

select * from final
