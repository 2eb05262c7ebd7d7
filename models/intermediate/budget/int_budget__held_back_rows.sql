{#- The rows of the budgets in force that cannot be part of the plan, each with its problem
    (int_budget__lines_placed: a month, year, ICB, stream or amount that is invalid or not the
    file's) and a detail naming the field and its value. One row per such row (file_id ×
    source_row), in the layout of quarantined_rows. A step of quarantined_rows. -#}
with

budget_lines as (
    select
        file_id,
        source_file,
        source_row,
        problem,
        financial_month_raw,
        financial_year_raw,
        icb_code_raw,
        funding_stream_raw,
        file_icb_code,
        file_financial_year,
        financial_month,
        budget_gbp,
        budget_gbp_raw
    from {{ ref('int_budget__lines_placed') }}
    where is_in_force and problem is not null
),

final as (
    select
        'budget' as feed,
        file_id,
        source_file,
        source_row,
        problem as reason,
        case
            when problem = 'financial_month_invalid'
                then 'financial_month = ' || coalesce('"' || financial_month_raw || '"', 'blank')
            when problem in ('financial_year_invalid', 'financial_year_mismatch')
                then
                    'financial_year = ' || coalesce('"' || financial_year_raw || '"', 'blank')
                    || ' (the file is for ' || file_financial_year || ')'
            when problem in ('icb_code_invalid', 'icb_code_mismatch')
                then
                    'icb_code = ' || coalesce('"' || icb_code_raw || '"', 'blank')
                    || ' (the file is for ' || file_icb_code || ')'
            when problem = 'funding_stream_invalid'
                then 'funding_stream = ' || coalesce('"' || funding_stream_raw || '"', 'blank')
            else 'budget_gbp = ' || coalesce('"' || budget_gbp_raw || '"', 'blank')
        end as detail,
        file_icb_code as provider_code,
        file_financial_year as financial_year,
        financial_month,
        cast(null as decimal(18, 3)) as activity,
        budget_gbp as amount,
        budget_gbp_raw as amount_raw
    from budget_lines
)

select * from final
