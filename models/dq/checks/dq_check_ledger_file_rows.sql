{#- The rows of the ledger checks: every row of the latest ledger file of each entity × year ×
    period (the current extract, repeated journal lines included) in dq_check_scope, sliced by
    the entity in the file name (reported as provider_code: the submitter) and the file name's
    year and period. The entity on the row is resolved like an ICB code (00 suffix dropped,
    sub-ICB location to its ICB, in force on the first day of the file's period) and so is the
    entity in the file name. -#}
with

postings_placed as (
    select
        postings_placed.file_entity_code,
        postings_placed.file_financial_year,
        postings_placed.file_financial_month,
        postings_placed.source_file,
        postings_placed.source_row,
        postings_placed.journal_id,
        postings_placed.journal_line,
        postings_placed.entity_code_raw,
        postings_placed.entity_code,
        postings_placed.amount_raw,
        postings_placed.amount,
        postings_placed.financial_year_raw,
        postings_placed.financial_year,
        postings_placed.financial_month_raw,
        postings_placed.financial_month,
        {{ date_of_financial_period('postings_placed.file_financial_year', 'postings_placed.file_financial_month') }}
            as file_period_start
    from {{ ref('int_ledger__postings_placed') }} as postings_placed
    where
        postings_placed.is_current_extract
        and {{ in_dq_check_scope('postings_placed.file_financial_year', 'postings_placed.file_financial_month') }}
),

final as (
    select
        postings_placed.file_entity_code as provider_code,
        postings_placed.file_financial_year as financial_year,
        postings_placed.file_financial_month as financial_month,
        postings_placed.source_file,
        postings_placed.source_row,
        cast(null as {{ type_text() }}) as record_ref,
        cast(null as {{ type_text() }}) as service_line_code,
        cast(null as {{ type_text() }}) as pod_code,
        'journal ' || coalesce(postings_placed.journal_id, '?')
        || ' line ' || coalesce(postings_placed.journal_line, '?') as context,
        'financial_year = "' || coalesce(postings_placed.financial_year_raw, '')
        || '", financial_month = "' || coalesce(postings_placed.financial_month_raw, '') || '"'
            as period_raw,
        postings_placed.entity_code_raw,
        postings_placed.amount_raw,
        -- Great Expectations states price_invalid on it (seeds/reference/dq_checks.csv)
        postings_placed.amount,
        postings_placed.financial_year is null or postings_placed.financial_month is null
            as fails_financial_period_invalid,
        (
            coalesce(row_entity.icb_code, postings_placed.entity_code)
            is distinct from coalesce(file_entity.icb_code, postings_placed.file_entity_code)
        ) as fails_provider_code_mismatch
    from postings_placed
    {{ join_icb_in_force('postings_placed.entity_code', 'postings_placed.file_period_start', 'row_entity') }}
    {{ join_icb_in_force('postings_placed.file_entity_code', 'postings_placed.file_period_start', 'file_entity') }}
)

select * from final
