{#- Every staged ledger posting with its file's entity, year and period (the file name's: one
    file is one entity's period), whether the file is the latest extract of that period (a later
    extract replaces an earlier one wholesale), and the repeat number of its journal line. -#}
with

postings as (
    select {{ star(ref('stg_ledger__postings')) }}
    from {{ ref('stg_ledger__postings') }}
),

files as (
    select
        file_id,
        org_code,
        name_financial_year,
        name_financial_month,
        received_at,
        {{ recency_rank(['org_code', 'name_financial_year', 'name_financial_month']) }} as recency_rank
    from {{ ref('stg_landing__files') }}
    where feed = 'ledger'
),

final as (
    select
        {{ star(ref('stg_ledger__postings'), 'postings') }},
        files.org_code as file_entity_code,
        files.name_financial_year as file_financial_year,
        files.name_financial_month as file_financial_month,
        files.received_at as file_received_at,
        files.recency_rank = 1 as is_current_extract,
        row_number() over (
            partition by postings.file_id, postings.journal_id, postings.journal_line
            order by postings.source_row
        ) as occurrence_in_extract
    from postings
    inner join files
        on postings.file_id = files.file_id
)

select * from final
