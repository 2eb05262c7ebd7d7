-- Per SLAM slice, the rows and pounds the winning file places there are exactly the rows and
-- pounds of the fact for that slice (no row lost or repeated by a dimension join).
with

placed as (
    select
        rows_placed.file_provider_code as provider_code,
        rows_placed.placed_financial_year as financial_year,
        rows_placed.placed_financial_month as financial_month,
        count(*) as row_count,
        coalesce(sum(rows_placed.price), 0) as pounds
    from {{ ref('int_slam__rows_placed') }} as rows_placed
    inner join {{ ref('int_slam__slice_winners') }} as winners
        on
            rows_placed.file_id = winners.winning_file_id
            and rows_placed.file_provider_code = winners.provider_code
            and rows_placed.placed_financial_year = winners.financial_year
            and rows_placed.placed_financial_month = winners.financial_month
    group by
        rows_placed.file_provider_code,
        rows_placed.placed_financial_year,
        rows_placed.placed_financial_month
),

published as (
    select
        provider_code,
        financial_year,
        financial_month,
        count(*) as row_count,
        coalesce(sum(price), 0) as pounds
    from {{ ref('fct_contract_activity') }}
    group by provider_code, financial_year, financial_month
)

select
    coalesce(placed.provider_code, published.provider_code) as provider_code,
    coalesce(placed.financial_year, published.financial_year) as financial_year,
    coalesce(placed.financial_month, published.financial_month) as financial_month,
    placed.row_count as placed_rows,
    published.row_count as published_rows,
    placed.pounds as placed_pounds,
    published.pounds as published_pounds
from placed
full outer join published
    on
        placed.provider_code = published.provider_code
        and placed.financial_year = published.financial_year
        and placed.financial_month = published.financial_month
where
    placed.row_count is distinct from published.row_count
    or placed.pounds is distinct from published.pounds
