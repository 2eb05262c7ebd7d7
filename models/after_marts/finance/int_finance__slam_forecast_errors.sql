{#- The SLAM forecast's past errors: in every ICB × funding stream × financial year that is
    complete (some provider stated month 12), each month 1-11's forecast (the year to date with
    estimates ÷ the phasing's cumulative weight w) set against the year's outturn, as the error
    outturn ÷ forecast − 1 and standardised by the share of the year still to come,
    z = error ÷ sqrt((1 − w) ÷ w). One row per such ICB × stream × year × month (with a positive
    year to date and outturn). A step of int_finance__slam_forecast_ranges. -#}
with

completeness as (
    select
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        slam_actual_gbp,
        slam_estimated_gbp
    from {{ ref('int_finance__icb_slam_completeness') }}
),

submissions as (
    select
        financial_year,
        latest_month_stated
    from {{ ref('int_slam__expected_submissions') }}
),

cumulative_phasing as (
    select
        financial_month,
        cumulative_weight
    from {{ ref('stg_reference__plan_phasing') }}
),

years as (
    select
        financial_year,
        max(latest_month_stated) = 12 as is_year_complete
    from submissions
    group by financial_year
),

cells as (
    select distinct
        completeness.icb_code,
        completeness.funding_stream,
        completeness.financial_year
    from completeness
    inner join years
        on completeness.financial_year = years.financial_year
    where years.is_year_complete
),

monthly as (
    select
        cells.icb_code,
        cells.funding_stream,
        cells.financial_year,
        cumulative_phasing.financial_month,
        cumulative_phasing.cumulative_weight,
        coalesce(completeness.slam_actual_gbp + completeness.slam_estimated_gbp, 0) as with_estimates_gbp
    from cells
    cross join cumulative_phasing
    left join completeness
        on
            cells.icb_code = completeness.icb_code
            and cells.funding_stream = completeness.funding_stream
            and cells.financial_year = completeness.financial_year
            and cumulative_phasing.financial_month = completeness.financial_month
),

year_to_date as (
    select
        monthly.*,
        sum(monthly.with_estimates_gbp) over (
            partition by monthly.icb_code, monthly.funding_stream, monthly.financial_year
            order by monthly.financial_month
            rows between unbounded preceding and current row
        ) as ytd_gbp,
        sum(monthly.with_estimates_gbp) over (
            partition by monthly.icb_code, monthly.funding_stream, monthly.financial_year
        ) as outturn_gbp
    from monthly
),

-- one standardised error per ICB × stream × complete year × month 1-11
final as (
    select
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        cast(outturn_gbp as double) / (cast(ytd_gbp as double) / cumulative_weight) - 1 as forecast_error,
        (cast(outturn_gbp as double) / (cast(ytd_gbp as double) / cumulative_weight) - 1)
        / sqrt((1 - cumulative_weight) / cumulative_weight) as standardised_error
    from year_to_date
    where financial_month < 12 and ytd_gbp > 0 and outturn_gbp > 0 and cumulative_weight < 1
)

select * from final
