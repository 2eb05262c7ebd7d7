{#- Every loaded SUS extract file with its slice (dataset × extract month), whether it is the
    slice's current extract (the latest received; a later extract replaces a month wholesale,
    a re-sent identical file included), the slice's newest file id (the watermark of the
    incremental build) and the extract month's financial year and month. -#}
{{ config(materialized='view') }}

with

files as (
    select
        file_id,
        file_name,
        dataset,
        name_activity_month,
        received_at,
        {{ recency_rank(['dataset', 'name_activity_month']) }} as recency_rank,
        max(file_id) over (partition by dataset, name_activity_month) as slice_file_watermark,
        make_date(
            cast(left(name_activity_month, 4) as integer),
            cast(right(name_activity_month, 2) as integer),
            1
        ) as file_month_start
    from {{ ref('stg_landing__files') }}
    where feed = 'sus'
),

final as (
    select
        file_id,
        file_name,
        dataset,
        name_activity_month,
        received_at,
        recency_rank = 1 as is_current_extract,
        slice_file_watermark,
        file_month_start,
        {{ financial_year_of_date('file_month_start') }} as financial_year,
        {{ financial_month_of_date('file_month_start') }} as financial_month
    from files
)

select * from final
