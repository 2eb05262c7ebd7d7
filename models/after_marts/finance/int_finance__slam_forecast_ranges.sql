{#- The range of the SLAM forecast outturn, from the method's own past errors. The forecast at
    month m is the year to date with estimates ÷ the phasing's cumulative weight w(m)
    (fct_icb_spend_monthly). In every ICB × funding stream × year that is complete (some
    provider stated month 12), each month 1-11's forecast is set against the year's outturn:
    the ratio outturn ÷ forecast, standardised by the share of the year still to come,
    z = (ratio − 1) ÷ sqrt((1 − w) ÷ w) (the error of an extrapolation grows with the months
    left and shrinks with the months seen). A year's range takes the errors of the years
    before it, pooled over ICBs, streams and months: the lower and upper quantiles of z
    (nearest rank; var forecast_range_coverage, 0.8 = 10th and 90th percentiles), scaled back
    to each month: ratio = 1 + z × sqrt((1 − w) ÷ w), never below 0. With fewer than var
    forecast_range_min_errors past errors (the first year of data), a default normal spread
    (var forecast_range_default_sd) stands in: range_method says which. Month 12's range is
    the outturn itself. The past errors: int_finance__slam_forecast_errors. -#}
{%- set coverage = var('forecast_range_coverage', 0.8) | float -%}
{%- set lower_p = ((1 - coverage) / 2) | round(6) -%}
{%- set upper_p = 1 - lower_p -%}
{%- set min_errors = var('forecast_range_min_errors', 20) | int -%}
{%- set default_sd = var('forecast_range_default_sd', 0.10) | float -%}
{#- the normal quantile of upper_p, for the default spread (0.8 coverage -> 1.2816) -#}
{%- set normal_z = {0.5: 0.6745, 0.8: 1.2816, 0.9: 1.6449, 0.95: 1.9600}.get(coverage) -%}
{%- if normal_z is none -%}
    {{ exceptions.raise_compiler_error(
        "dbt var forecast_range_coverage = " ~ coverage ~ ": use 0.5, 0.8, 0.9 or 0.95"
    ) }}
{%- endif %}
with

past_errors as (
    select
        financial_year,
        standardised_error
    from {{ ref('int_finance__slam_forecast_errors') }}
),

completeness as (
    select financial_year
    from {{ ref('int_finance__icb_slam_completeness') }}
),

cumulative_phasing as (
    select
        financial_month,
        cumulative_weight
    from {{ ref('stg_reference__plan_phasing') }}
),

target_years as (
    select distinct financial_year
    from completeness
),

-- each year's history: the errors of the complete years before it
history as (
    select
        target_years.financial_year,
        past_errors.standardised_error,
        row_number() over (
            partition by target_years.financial_year order by past_errors.standardised_error
        ) as error_rank,
        count(*) over (partition by target_years.financial_year) as errors_used
    from target_years
    inner join past_errors
        on target_years.financial_year > past_errors.financial_year
),

quantiles as (
    select
        financial_year,
        max(errors_used) as errors_used,
        max(case when error_rank = greatest(ceil({{ lower_p }} * errors_used), 1) then standardised_error end)
            as lower_error,
        max(case when error_rank = ceil({{ upper_p }} * errors_used) then standardised_error end)
            as upper_error
    from history
    group by financial_year
),

chosen as (
    select
        target_years.financial_year,
        coalesce(quantiles.errors_used, 0) as errors_used,
        case
            when coalesce(quantiles.errors_used, 0) >= {{ min_errors }} then 'empirical'
            else 'default'
        end as range_method,
        case
            when coalesce(quantiles.errors_used, 0) >= {{ min_errors }} then quantiles.lower_error
            else -{{ normal_z }} * {{ default_sd }}
        end as lower_error,
        case
            when coalesce(quantiles.errors_used, 0) >= {{ min_errors }} then quantiles.upper_error
            else {{ normal_z }} * {{ default_sd }}
        end as upper_error
    from target_years
    left join quantiles
        on target_years.financial_year = quantiles.financial_year
),

-- sqrt(months to come ÷ months seen), by phase weight; 0 in month 12 (rounding kept out)
error_scales as (
    select
        financial_month,
        case
            when financial_month = 12 then cast(0 as double)
            else {{ forecast_error_scale('cumulative_weight') }}
        end as error_scale
    from cumulative_phasing
),

final as (
    select
        chosen.financial_year,
        cumulative_phasing.financial_month,
        chosen.range_method,
        chosen.errors_used,
        chosen.lower_error,
        chosen.upper_error,
        greatest(1 + chosen.lower_error * cumulative_phasing.error_scale, 0) as low_ratio,
        1 + chosen.upper_error * cumulative_phasing.error_scale as high_ratio
    from chosen
    cross join error_scales as cumulative_phasing
)

select * from final
