with

ledger_rows as (
    select
        file_id,
        source_file,
        source_row,
        entity_code,
        financial_year,
        financial_month,
        journal_id,
        journal_line,
        posting_date,
        cost_centre,
        subjective_code,
        analysis_code,
        supplier_code,
        description,
        amount
    from {{ source('ledger', 'ledger_rows') }}
),

final as (
    select
        file_id,
        source_file,
        source_row,
        entity_code as entity_code_raw,
        {{ clean_icb_code('entity_code') }} as entity_code,
        financial_year as financial_year_raw,
        {{ clean_financial_year('financial_year') }} as financial_year,
        financial_month as financial_month_raw,
        {{ clean_financial_month('financial_month') }} as financial_month,
        {{ clean_text('journal_id') }} as journal_id,
        {{ clean_text('journal_line') }} as journal_line,
        posting_date as posting_date_raw,
        {{ clean_date('posting_date') }} as posting_date,
        cost_centre as cost_centre_raw,
        {{ clean_code('cost_centre') }} as cost_centre,
        {{ clean_code('subjective_code') }} as subjective_code,
        {{ clean_code('analysis_code') }} as analysis_code,
        supplier_code as supplier_code_raw,
        {{ clean_code('supplier_code') }} as supplier_code,
        {{ clean_text('description') }} as description,
        amount as amount_raw,
        {{ clean_money('amount') }} as amount
    from ledger_rows
)

select * from final
