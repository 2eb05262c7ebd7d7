{#- The SLAM forecast's past errors: in every ICB × funding stream × financial year that is
    complete (SLAM reports month 12: some provider stated it), each month 1-11's forecast (the
    year to date with estimates ÷ the phasing's cumulative weight w) set against the year's
    outturn (the year to date with estimates at month 12), as the error
    outturn ÷ forecast − 1 and standardised by the share of the year still to come,
    z = error ÷ sqrt((1 − w) ÷ w) (forecast_error_scale). One row per such ICB × stream ×
    year × month (with a positive year to date and outturn). The year to date with estimates
    is the ICB spend mart's own (int_finance__icb_spend_year_to_date), so the errors judge the
    figure the forecast divides. A step of int_finance__slam_forecast_ranges. -#}
with

year_to_date as (
    select
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        cumulative_weight,
        is_slam_reported,
        ytd_slam_with_estimates_gbp
    from {{ ref('int_finance__icb_spend_year_to_date') }}
),

-- the outturn of each ICB × stream × year SLAM has reported to month 12
outturns as (
    select
        icb_code,
        funding_stream,
        financial_year,
        ytd_slam_with_estimates_gbp as outturn_gbp
    from year_to_date
    where financial_month = 12 and is_slam_reported
),

-- the error of each month 1-11's forecast (year to date ÷ w) against the outturn
errors as (
    select
        year_to_date.icb_code,
        year_to_date.funding_stream,
        year_to_date.financial_year,
        year_to_date.financial_month,
        year_to_date.cumulative_weight,
        cast(outturns.outturn_gbp as double)
        / (cast(year_to_date.ytd_slam_with_estimates_gbp as double) / year_to_date.cumulative_weight) - 1
            as forecast_error
    from year_to_date
    inner join outturns
        on
            year_to_date.icb_code = outturns.icb_code
            and year_to_date.funding_stream = outturns.funding_stream
            and year_to_date.financial_year = outturns.financial_year
    where
        year_to_date.financial_month < 12
        and year_to_date.ytd_slam_with_estimates_gbp > 0
        and outturns.outturn_gbp > 0
        and year_to_date.cumulative_weight < 1
),

-- one standardised error per ICB × stream × complete year × month 1-11
final as (
    select
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        forecast_error,
        forecast_error / {{ forecast_error_scale('cumulative_weight') }} as standardised_error
    from errors
)

select * from final
