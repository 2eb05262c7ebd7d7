-- Every row of the latest ledger file of each entity × year × period (the current extract,
-- repeated journal lines included), sliced by the entity in the file name (reported as
-- provider_code: the submitter) and the file name's year and period. The entity on the row is
-- resolved like an ICB code (00 suffix dropped, sub-ICB location to its ICB, in force on the
-- first day of the file's period) and so is the entity in the file name.
with

postings_placed as (
    select
        file_entity_code,
        file_financial_year,
        file_financial_month,
        source_file,
        source_row,
        journal_id,
        journal_line,
        entity_code_raw,
        entity_code,
        amount_raw,
        amount,
        financial_year_raw,
        financial_year,
        financial_month_raw,
        financial_month,
        make_date(
            cast(left(file_financial_year, 4) as integer) + case when file_financial_month <= 9 then 0 else 1 end,
            ((file_financial_month + 2) % 12) + 1,
            1
        ) as file_period_start
    from intermediate.int_ledger__postings_placed
    where
        is_current_extract
        and exists (
            select 1 from dq_scope
            where dq_scope.financial_year = int_ledger__postings_placed.file_financial_year
                and dq_scope.financial_month = int_ledger__postings_placed.file_financial_month
        )
),

icb_codes as (
    select
        code,
        icb_code,
        valid_from,
        valid_to
    from intermediate.int_icb__codes_in_force
),

final as (
    select
        postings_placed.file_entity_code as provider_code,
        postings_placed.file_financial_year as financial_year,
        postings_placed.file_financial_month as financial_month,
        postings_placed.source_file,
        postings_placed.source_row,
        cast(null as varchar) as record_ref,
        cast(null as varchar) as service_line_code,
        cast(null as varchar) as pod_code,
        'journal ' || coalesce(postings_placed.journal_id, '?')
        || ' line ' || coalesce(postings_placed.journal_line, '?') as context,
        'financial_year = "' || coalesce(postings_placed.financial_year_raw, '')
        || '", financial_month = "' || coalesce(postings_placed.financial_month_raw, '') || '"'
            as period_raw,
        postings_placed.entity_code_raw,
        postings_placed.amount_raw,
        postings_placed.amount is null
            as fails_price_invalid,
        postings_placed.financial_year is null or postings_placed.financial_month is null
            as fails_financial_period_invalid,
        coalesce(row_entity.icb_code, postings_placed.entity_code)
        is distinct from coalesce(file_entity.icb_code, postings_placed.file_entity_code)
            as fails_provider_code_mismatch
    from postings_placed
    left join icb_codes as row_entity
        on
            postings_placed.entity_code = row_entity.code
            and postings_placed.file_period_start between row_entity.valid_from and row_entity.valid_to
    left join icb_codes as file_entity
        on
            postings_placed.file_entity_code = file_entity.code
            and postings_placed.file_period_start between file_entity.valid_from and file_entity.valid_to
)

select * from final
