{#- Rows that were loaded but are not in a fact, each with its reason. With the facts, they
    account for every row of every current file (see the conservation tests):
    - slam: a row whose financial month is invalid cannot be placed in a month (from the
      latest file of each file-name slice);
    - sus: a repeat of a sus_record_id within the current extract (the first is kept), and
      every row whose sus_record_id is blank (it identifies no record);
    - ledger: a repeat of a (journal_id, journal_line) within the current extract;
    - budget: a row of a budget in force that cannot be part of the plan (its problem in
      int_budget__lines_placed: a month, year, ICB, stream or amount that is invalid or not
      the file's).
    Steps: int_sus__quarantined_rows, int_budget__held_back_rows. -#}
with

slam_rows as (
    select
        file_id,
        source_file,
        source_row,
        file_provider_code,
        file_financial_year,
        file_financial_month,
        financial_month_raw,
        activity,
        price,
        price_raw,
        placed_financial_month
    from {{ ref('int_slam__rows_placed') }}
),

slam_latest_files as (
    select file_id
    from {{ ref('int_slam__latest_files_by_name') }}
),

ledger_postings as (
    select
        file_id,
        source_file,
        source_row,
        journal_id,
        journal_line,
        file_entity_code,
        file_financial_year,
        file_financial_month,
        amount,
        amount_raw,
        is_current_extract,
        occurrence_in_extract
    from {{ ref('int_ledger__postings_placed') }}
),

sus_quarantined as (
    select
        feed,
        file_id,
        source_file,
        source_row,
        reason,
        detail,
        provider_code,
        financial_year,
        financial_month,
        activity,
        amount,
        amount_raw
    from {{ ref('int_sus__quarantined_rows') }}
),

budget_held_back as (
    select
        feed,
        file_id,
        source_file,
        source_row,
        reason,
        detail,
        provider_code,
        financial_year,
        financial_month,
        activity,
        amount,
        amount_raw
    from {{ ref('int_budget__held_back_rows') }}
),

slam_unplaceable as (
    select
        'slam' as feed,
        slam_rows.file_id,
        slam_rows.source_file,
        slam_rows.source_row,
        'financial_month_invalid' as reason,
        'financial_month = ' || coalesce('"' || slam_rows.financial_month_raw || '"', 'blank') as detail,
        slam_rows.file_provider_code as provider_code,
        slam_rows.file_financial_year as financial_year,
        slam_rows.file_financial_month as financial_month,
        slam_rows.activity,
        slam_rows.price as amount,
        slam_rows.price_raw as amount_raw
    from slam_rows
    inner join slam_latest_files
        on slam_rows.file_id = slam_latest_files.file_id
    where slam_rows.placed_financial_month is null
),

ledger_duplicates as (
    select
        'ledger' as feed,
        file_id,
        source_file,
        source_row,
        'journal_line_duplicate' as reason,
        'journal ' || coalesce(journal_id, '?') || ' line ' || coalesce(journal_line, '?')
        || ' repeats an earlier row' as detail,
        file_entity_code as provider_code,
        file_financial_year as financial_year,
        file_financial_month as financial_month,
        cast(null as decimal(18, 3)) as activity,
        amount,
        amount_raw
    from ledger_postings
    where is_current_extract and occurrence_in_extract > 1
),

final as (
    select * from slam_unplaceable
    union all
    select * from sus_quarantined
    union all
    select * from ledger_duplicates
    union all
    select * from budget_held_back
)

select * from final
