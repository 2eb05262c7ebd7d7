-- The current ledger extract's rows per slice, by file.
select
    file_entity_code as provider_code,
    file_financial_year as financial_year,
    file_financial_month as financial_month,
    'extract ' || file_id || ' rows ' || count(*) as part,
    count(*) as row_count
from intermediate.int_ledger__postings_placed
where is_current_extract
group by file_entity_code, file_financial_year, file_financial_month, file_id
