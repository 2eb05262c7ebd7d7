-- Per current SUS extract and ledger extract: rows and pounds in the extract equal rows and
-- pounds in the fact plus the quarantine.
with

sus_current as (
    select
        'sus' as feed,
        file_id,
        count(*) as row_count,
        coalesce(sum(tariff_price), 0) as pounds
    from {{ ref('int_sus__records_placed') }}
    where is_current_extract
    group by file_id
),

ledger_current as (
    select
        'ledger' as feed,
        file_id,
        count(*) as row_count,
        coalesce(sum(amount), 0) as pounds
    from {{ ref('int_ledger__postings_placed') }}
    where is_current_extract
    group by file_id
),

published as (
    select
        'sus' as feed,
        file_id,
        count(*) as row_count,
        coalesce(sum(tariff_price), 0) as pounds
    from {{ ref('fct_sus_activity') }}
    group by file_id
    union all
    select
        'ledger' as feed,
        file_id,
        count(*) as row_count,
        coalesce(sum(amount), 0) as pounds
    from {{ ref('fct_ledger_posting') }}
    group by file_id
    union all
    select
        feed,
        file_id,
        count(*) as row_count,
        coalesce(sum(amount), 0) as pounds
    from {{ ref('quarantined_rows') }}
    where feed in ('sus', 'ledger')
    group by feed, file_id
),

published_per_file as (
    select
        feed,
        file_id,
        sum(row_count) as row_count,
        sum(pounds) as pounds
    from published
    group by feed, file_id
),

current_extracts as (
    select
        feed,
        file_id,
        row_count,
        pounds
    from sus_current
    union all
    select
        feed,
        file_id,
        row_count,
        pounds
    from ledger_current
)

select
    coalesce(current_extracts.feed, published_per_file.feed) as feed,
    coalesce(current_extracts.file_id, published_per_file.file_id) as file_id,
    current_extracts.row_count as current_rows,
    published_per_file.row_count as published_rows
from current_extracts
full outer join published_per_file
    on
        current_extracts.feed = published_per_file.feed
        and current_extracts.file_id = published_per_file.file_id
where
    current_extracts.row_count is distinct from published_per_file.row_count
    or current_extracts.pounds is distinct from published_per_file.pounds
