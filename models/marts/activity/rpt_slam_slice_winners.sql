{#- Which SLAM file won each provider × financial year × month, and how many files stated it:
    the restatement rule made visible, for analysts to check. -#}
with

slice_winners as (
    select
        provider_code,
        financial_year,
        financial_month,
        winning_file_id,
        winning_file,
        winning_received_at,
        winning_rows,
        files_stating_slice
    from {{ ref('int_slam__slice_winners') }}
),

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        winning_file_id,
        winning_file,
        winning_received_at,
        winning_rows,
        files_stating_slice
    from slice_winners
)

select * from final
