{#- The rows of the SLAM submission check: one row per expected SLAM submission
    (dq_slam_submissions) of the slices in dq_check_scope: provider × year × month. -#}
with

submissions as (
    select
        provider_code,
        financial_year,
        financial_month,
        winning_file,
        is_missing,
        is_late
    from {{ ref('dq_slam_submissions') }} as submissions
    where {{ in_dq_check_scope('submissions.financial_year', 'submissions.financial_month') }}
),

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        winning_file as source_file,
        cast(null as integer) as source_row,
        cast(null as varchar) as record_ref,
        cast(null as varchar) as service_line_code,
        cast(null as varchar) as pod_code,
        case
            when is_missing then 'no file states this month'
            when is_late then 'received after the due date'
        end as context,
        cast(null as varchar) as submission_raw,
        is_missing as fails_submission_missing
    from submissions
)

select * from final
