{#- Which file won each SLAM slice (provider × financial year × month): of the files with rows
    placed in the slice, the one received last (ties: the one loaded last). -#}
with

rows_placed as (
    select
        file_id,
        source_file,
        file_provider_code,
        file_received_at,
        placed_financial_year,
        placed_financial_month
    from {{ ref('int_slam__rows_placed') }}
    where placed_financial_month is not null
),

files_per_slice as (
    select
        file_provider_code as provider_code,
        placed_financial_year as financial_year,
        placed_financial_month as financial_month,
        file_id,
        source_file,
        file_received_at as received_at,
        count(*) as rows_stated
    from rows_placed
    group by
        file_provider_code,
        placed_financial_year,
        placed_financial_month,
        file_id,
        source_file,
        file_received_at
),

ranked as (
    select
        provider_code,
        financial_year,
        financial_month,
        file_id,
        source_file,
        received_at,
        rows_stated,
        count(*) over (
            partition by provider_code, financial_year, financial_month
        ) as files_stating_slice,
        {{ recency_rank(['provider_code', 'financial_year', 'financial_month']) }} as recency_rank
    from files_per_slice
),

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        file_id as winning_file_id,
        source_file as winning_file,
        received_at as winning_received_at,
        rows_stated as winning_rows,
        files_stating_slice
    from ranked
    where recency_rank = 1
)

select * from final
