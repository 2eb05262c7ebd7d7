{#- What the ledger check rows of a slice depend on: the current ledger extract's rows per
    slice (entity × financial year × month in the file name), by file. -#}
with

final as (
    select
        file_entity_code as provider_code,
        file_financial_year as financial_year,
        file_financial_month as financial_month,
        'extract ' || file_id || ' rows ' || count(*) as part,
        count(*) as row_count
    from {{ ref('int_ledger__postings_placed') }}
    where is_current_extract
    group by file_entity_code, file_financial_year, file_financial_month, file_id
)

select * from final
