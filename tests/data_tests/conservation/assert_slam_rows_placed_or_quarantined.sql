-- Every row of the latest file of each file-name slice is either placed in a month or held
-- back in the quarantine: none is silently dropped.
with

latest_files as (
    select file_id
    from {{ ref('int_slam__latest_files_by_name') }}
),

staged as (
    select
        contract_lines.file_id,
        count(*) as row_count
    from {{ ref('stg_slam__contract_lines') }} as contract_lines
    inner join latest_files
        on contract_lines.file_id = latest_files.file_id
    group by contract_lines.file_id
),

accounted as (
    select
        rows_placed.file_id,
        count(*) as row_count
    from {{ ref('int_slam__rows_placed') }} as rows_placed
    inner join latest_files
        on rows_placed.file_id = latest_files.file_id
    where rows_placed.placed_financial_month is not null
    group by rows_placed.file_id
    union all
    select
        file_id,
        count(*) as row_count
    from {{ ref('quarantined_rows') }}
    where feed = 'slam'
    group by file_id
),

accounted_per_file as (
    select
        file_id,
        sum(row_count) as row_count
    from accounted
    group by file_id
)

select
    staged.file_id,
    staged.row_count as staged_rows,
    accounted_per_file.row_count as accounted_rows
from staged
left join accounted_per_file
    on staged.file_id = accounted_per_file.file_id
where staged.row_count is distinct from accounted_per_file.row_count
