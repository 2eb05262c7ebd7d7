{#- Rows that were loaded but are not in a fact, each with its reason. With the facts, they
    account for every row of every current file (see the conservation tests):
    - slam: a row whose financial month is invalid cannot be placed in a month (from the
      latest file of each file-name slice);
    - sus: a repeat of a sus_record_id within the current extract (the first is kept), and
      every row whose sus_record_id is blank (it identifies no record);
    - ledger: a repeat of a (journal_id, journal_line) within the current extract;
    - budget: a row of a budget in force that cannot be part of the plan (its problem in
      int_budget__lines_placed: a month, year, ICB, stream or amount that is invalid or not
      the file's). -#}
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

sus_repeats as (
    select
        file_id,
        source_row,
        repeat_sus_record_id as sus_record_id,
        repeat_provider_code as provider_code,
        repeat_tariff_price as tariff_price,
        repeat_tariff_price_raw as tariff_price_raw,
        occurrence_in_extract
    from {{ ref('int_sus__record_occurrences') }}
    where occurrence_in_extract != 1
),

sus_current_files as (
    select
        file_id,
        file_name as source_file,
        financial_year,
        financial_month
    from {{ ref('int_sus__extract_files') }}
    where is_current_extract
),

provider_codes as (
    select
        code,
        provider_code
    from {{ ref('int_provider__codes') }}
),

sus_records as (
    select
        sus_repeats.file_id,
        sus_current_files.source_file,
        sus_repeats.source_row,
        sus_repeats.sus_record_id,
        {{ resolved_provider_code('sus_repeats.provider_code', 'row') }} as provider_code_resolved,
        sus_current_files.financial_year,
        sus_current_files.financial_month,
        sus_repeats.tariff_price,
        sus_repeats.tariff_price_raw,
        true as is_current_extract,
        sus_repeats.occurrence_in_extract
    from sus_repeats
    inner join sus_current_files
        on sus_repeats.file_id = sus_current_files.file_id
    {{ join_provider_codes('sus_repeats.provider_code', 'row') }}
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

sus_quarantined as (
    select
        'sus' as feed,
        file_id,
        source_file,
        source_row,
        case when occurrence_in_extract = 0 then 'sus_record_id_missing' else 'sus_record_duplicate' end
            as reason,
        -- names the field and the copy, never the id itself (identifiers stay out of messages)
        case
            when occurrence_in_extract = 0 then 'sus_record_id is blank'
            else 'sus_record_id repeats an earlier row of the extract (copy ' || occurrence_in_extract || ')'
        end as detail,
        provider_code_resolved as provider_code,
        financial_year,
        financial_month,
        cast(1 as decimal(18, 3)) as activity,
        tariff_price as amount,
        tariff_price_raw as amount_raw
    from sus_records
    where is_current_extract and occurrence_in_extract != 1
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

budget_held_back as (
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
