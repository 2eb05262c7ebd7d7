{#- The SLAM months a provider's email lists as not received: in the latest
    `dq_report_trend_months` (dbt var, 12) calendar months the provider is expected to have
    sent (its latest expected month and the months before it), those it has not sent
    (dq_slam_submissions.is_missing). -#}
with

submissions as (
    select
        provider_code,
        financial_year,
        financial_month,
        period_start_date,
        submission_due_date,
        is_missing
    from {{ ref('dq_slam_submissions') }}
),

numbered as (
    select
        submissions.*,
        year(submissions.period_start_date) * 12 + month(submissions.period_start_date) as month_number,
        max(year(submissions.period_start_date) * 12 + month(submissions.period_start_date))
            over (partition by submissions.provider_code) as latest_month_number
    from submissions
),

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        period_start_date,
        submission_due_date
    from numbered
    where is_missing and latest_month_number - month_number < {{ var('dq_report_trend_months') }}
)

select * from final
