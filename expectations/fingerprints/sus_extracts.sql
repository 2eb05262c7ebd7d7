-- The current SUS extracts' rows per slice, by file.
select
    coalesce(provider_code_resolved, 'UNKNOWN') as provider_code,
    financial_year,
    financial_month,
    'extract ' || file_id || ' rows ' || count(*) as part,
    count(*) as row_count
from intermediate.int_sus__records_placed
where is_current_extract
group by coalesce(provider_code_resolved, 'UNKNOWN'), financial_year, financial_month, file_id
