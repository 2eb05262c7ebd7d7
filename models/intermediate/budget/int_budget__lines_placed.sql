{#- Every budget row with its file's place among the versions: the ICB and financial year of
    the file name, the version label, the received time, version_rank (1 = the budget in force
    for that ICB × year: the latest received file, a later file_id breaking a tie; the
    contract's rule, macro recency_rank), and the row's problem when it cannot be part of a
    plan (NULL = a good line). A row states its own ICB and year; they must be the file's
    (a row of another ICB or year is held back, never moved). The ICB code is read as the
    ICB in force in the row's month (a sub-ICB location means its ICB; a dissolved ICB's
    code after its end means its successor, int_icb__codes_in_force). -#}
with

budget_lines as (
    select
        file_id,
        source_file,
        source_row,
        icb_code_raw,
        icb_code,
        financial_year_raw,
        financial_year,
        financial_month_raw,
        financial_month,
        funding_stream_raw,
        funding_stream,
        service_line_code,
        npoc_code,
        budget_line,
        budget_gbp_raw,
        budget_gbp
    from {{ ref('stg_budget__lines') }}
),

budget_files as (
    select
        file_id,
        org_code,
        name_financial_year,
        name_version,
        received_at,
        {{ recency_rank(['org_code', 'name_financial_year']) }} as version_rank
    from {{ ref('stg_landing__files') }}
    where feed = 'budget'
),

with_files as (
    select
        budget_lines.*,
        budget_files.org_code as file_icb_code,
        budget_files.name_financial_year as file_financial_year,
        budget_files.name_version as file_version,
        budget_files.received_at,
        budget_files.version_rank,
        {{ date_of_financial_period('budget_files.name_financial_year', 'budget_lines.financial_month') }}
            as period_start_date
    from budget_lines
    inner join budget_files
        on budget_lines.file_id = budget_files.file_id
),

resolved as (
    select
        with_files.*,
        stated_icb.icb_code as icb_code_in_force,
        file_icb.icb_code as file_icb_code_in_force
    from with_files
    {{ join_icb_in_force('with_files.icb_code', 'with_files.period_start_date', 'stated_icb') }}
    {{ join_icb_in_force('with_files.file_icb_code', 'with_files.period_start_date', 'file_icb') }}
),

final as (
    select
        file_id,
        source_file,
        source_row,
        file_icb_code,
        file_financial_year,
        file_version,
        received_at,
        version_rank,
        version_rank = 1 as is_in_force,
        icb_code_raw,
        coalesce(file_icb_code_in_force, file_icb_code) as icb_code,
        financial_year_raw,
        file_financial_year as financial_year,
        financial_month_raw,
        financial_month,
        period_start_date,
        funding_stream_raw,
        funding_stream,
        service_line_code,
        npoc_code,
        budget_line,
        budget_gbp_raw,
        budget_gbp,
        case
            when financial_month is null then 'financial_month_invalid'
            when financial_year is null then 'financial_year_invalid'
            when financial_year != file_financial_year then 'financial_year_mismatch'
            when icb_code is null or icb_code_in_force is null then 'icb_code_invalid'
            when icb_code_in_force != coalesce(file_icb_code_in_force, file_icb_code) then 'icb_code_mismatch'
            when funding_stream is null then 'funding_stream_invalid'
            when budget_gbp is null then 'budget_gbp_invalid'
        end as problem
    from resolved
)

select * from final
