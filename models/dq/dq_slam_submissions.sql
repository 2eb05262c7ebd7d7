{#- The SLAM submissions expected of each provider and whether they arrived, published for
    readers and the data-quality checks; the rule is int_slam__expected_submissions. -#}
with

expected_submissions as (
    select
        provider_code,
        financial_year,
        financial_month,
        period_start_date,
        submission_due_date,
        latest_month_stated,
        first_received_at,
        latest_received_at,
        winning_file,
        files_stating_month,
        is_missing,
        is_late
    from {{ ref('int_slam__expected_submissions') }}
),

final as (
    select
        expected_submissions.provider_code,
        expected_submissions.financial_year,
        expected_submissions.financial_month,
        expected_submissions.period_start_date,
        expected_submissions.submission_due_date,
        expected_submissions.latest_month_stated,
        expected_submissions.first_received_at,
        expected_submissions.latest_received_at,
        expected_submissions.winning_file,
        expected_submissions.files_stating_month,
        expected_submissions.is_missing,
        expected_submissions.is_late
    from expected_submissions
)

select * from final
