-- SLAM current rows change only when the winning file of the slice changes.
select
    provider_code,
    financial_year,
    financial_month,
    'winner ' || winning_file_id || ' rows ' || winning_rows as part,
    winning_rows as row_count
from intermediate.int_slam__slice_winners
