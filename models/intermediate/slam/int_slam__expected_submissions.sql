{#- One row per expected SLAM submission: provider × financial year × month. A provider that
    stated any month of a financial year, or is on the year's contracted_providers list, is
    expected to state every month from April (month 1) up to the latest month any provider has
    stated that year. A month is missing when no file
    states it; it is late when the first file stating it was received after the 20th day of
    the month after the period (received_at is UTC). A finance input (the completeness of
    fct_icb_spend_monthly, the estimates for missing months) as much as a data-quality one, so
    it sits below both: published as dq.dq_slam_submissions (the check submission_missing and
    the coverage part of the DQMI-style scores read it there). -#}
with

slice_winners as (
    select
        provider_code,
        financial_year,
        financial_month,
        winning_file,
        winning_received_at,
        files_stating_slice
    from {{ ref('int_slam__slice_winners') }}
),

rows_placed as (
    select
        file_provider_code,
        placed_financial_year,
        placed_financial_month,
        file_received_at
    from {{ ref('int_slam__rows_placed') }}
    where placed_financial_month is not null
),

months as (
    select series.financial_month
    from {{ integer_series(1, 12, 'financial_month') }}
),

first_received as (
    select
        file_provider_code as provider_code,
        placed_financial_year as financial_year,
        placed_financial_month as financial_month,
        min(file_received_at) as first_received_at
    from rows_placed
    group by
        file_provider_code,
        placed_financial_year,
        placed_financial_month
),

latest_month_stated as (
    select
        financial_year,
        max(financial_month) as latest_month_stated
    from slice_winners
    group by financial_year
),

providers_in_year as (
    select
        provider_code,
        financial_year
    from slice_winners
    union
    select
        provider_code,
        financial_year
    from {{ ref('contracted_providers') }}
),

expected as (
    select
        providers_in_year.provider_code,
        providers_in_year.financial_year,
        months.financial_month,
        latest_month_stated.latest_month_stated
    from providers_in_year
    inner join latest_month_stated
        on providers_in_year.financial_year = latest_month_stated.financial_year
    inner join months
        on latest_month_stated.latest_month_stated >= months.financial_month
),

with_periods as (
    select
        expected.provider_code,
        expected.financial_year,
        expected.financial_month,
        expected.latest_month_stated,
        {{ date_of_financial_period('expected.financial_year', 'expected.financial_month') }}
            as period_start_date
    from expected
),

-- the last day a first statement of the month is on time: the 20th of the month after the period
with_due_dates as (
    select
        with_periods.*,
        cast(with_periods.period_start_date + interval 1 month + interval 19 day as date) as submission_due_date
    from with_periods
),

final as (
    select
        with_due_dates.provider_code,
        with_due_dates.financial_year,
        with_due_dates.financial_month,
        with_due_dates.period_start_date,
        with_due_dates.submission_due_date,
        with_due_dates.latest_month_stated,
        first_received.first_received_at,
        slice_winners.winning_received_at as latest_received_at,
        slice_winners.winning_file,
        coalesce(slice_winners.files_stating_slice, 0) as files_stating_month,
        slice_winners.winning_file is null as is_missing,
        case
            when slice_winners.winning_file is not null
                then cast(first_received.first_received_at as date) > with_due_dates.submission_due_date
        end as is_late
    from with_due_dates
    left join slice_winners
        on
            with_due_dates.provider_code = slice_winners.provider_code
            and with_due_dates.financial_year = slice_winners.financial_year
            and with_due_dates.financial_month = slice_winners.financial_month
    left join first_received
        on
            with_due_dates.provider_code = first_received.provider_code
            and with_due_dates.financial_year = first_received.financial_year
            and with_due_dates.financial_month = first_received.financial_month
)

select * from final
