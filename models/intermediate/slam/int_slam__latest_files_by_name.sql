{#- For each file-name slice (provider × year × month in the file name), the latest file
    received. Checks that count against the file name's period (financial_period_invalid,
    provider_code_mismatch) and the quarantine of rows that cannot be placed use these files,
    so a re-sent statement is not counted twice. -#}
with

files as (
    select
        file_id,
        file_name,
        org_code,
        name_financial_year,
        name_financial_month,
        received_at,
        {{ recency_rank(['org_code', 'name_financial_year', 'name_financial_month']) }} as recency_rank
    from {{ ref('stg_landing__files') }}
    where feed = 'slam'
),

final as (
    select
        file_id,
        file_name,
        org_code as provider_code,
        name_financial_year as financial_year,
        name_financial_month as financial_month,
        received_at
    from files
    where recency_rank = 1
)

select * from final
