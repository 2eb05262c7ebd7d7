{#- ICB spend against plan, month by month: one row per ICB × financial year × financial month ×
    funding stream. Plan = the ICB's own budget in force, else NHS England's published
    allocation, else the illustrative seed (plan_source; int_finance__icb_monthly_plan); actuals from SLAM
    (priced activity attributed to the ICB, all providers in the feed) and from the ICB's own
    ledger; the completeness of the SLAM figure (providers expected and reported, the missing
    provider-months by name) and the estimate for the missing ones; variances, year to date and
    forecast outturns, with and without the estimates, and the forecast's range
    (int_finance__slam_forecast_ranges). SLAM variances compare the part of the plan the feeds
    report (plan lines beyond activity, such as drugs and devices or block, are a coverage gap,
    plan_not_covered_by_feeds_gbp); no variance is published against an illustrative plan, a
    host-based plan (actuals count the ICB's patients) or no plan (variance_withheld_reason).
    Method and worked example:
    docs/marts/icb-spend-against-plan.md and docs/marts/completeness.md. Steps: the months
    (int_finance__icb_spend_spine) and their figures to date (int_finance__icb_spend_year_to_date). -#}
with

year_to_date as (
    select
        icb_code,
        financial_year,
        financial_month,
        funding_stream,
        allocation_basis,
        plan_source,
        budget_version,
        phase_weight,
        cumulative_weight,
        annual_plan_gbp,
        annual_plan_not_covered_by_feeds_gbp,
        plan_gbp,
        plan_not_covered_by_feeds_gbp,
        is_slam_reported,
        is_ledger_reported,
        providers_expected,
        providers_reported,
        missing_providers,
        is_complete,
        slam_actual_gbp,
        slam_estimated_gbp,
        ledger_actual_gbp,
        ledger_feed_providers_gbp,
        ytd_plan_gbp,
        ytd_plan_not_covered_by_feeds_gbp,
        ytd_slam_actual_gbp,
        ytd_slam_estimated_gbp,
        ytd_slam_with_estimates_gbp,
        ytd_ledger_actual_gbp,
        ytd_ledger_feed_providers_gbp
    from {{ ref('int_finance__icb_spend_year_to_date') }}
),

forecast_ranges as (
    select
        financial_year,
        financial_month,
        range_method,
        low_ratio,
        high_ratio
    from {{ ref('int_finance__slam_forecast_ranges') }}
),

footprint as (
    select
        icb_code,
        icb_name,
        current_icb_code,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

forecasts as (
    select
        year_to_date.*,
        {{ round_quotient('year_to_date.ytd_slam_actual_gbp * 12', 'year_to_date.financial_month') }}
            as slam_forecast_run_rate_gbp,
        {{ round_quotient('year_to_date.ytd_slam_actual_gbp', 'year_to_date.cumulative_weight') }}
            as slam_forecast_phased_gbp,
        {{ round_quotient('year_to_date.ytd_slam_with_estimates_gbp', 'year_to_date.cumulative_weight') }}
            as slam_forecast_outturn_gbp,
        {{ round_quotient('year_to_date.ytd_ledger_actual_gbp * 12', 'year_to_date.financial_month') }}
            as ledger_forecast_run_rate_gbp,
        {{ round_quotient('year_to_date.ytd_ledger_actual_gbp', 'year_to_date.cumulative_weight') }}
            as ledger_forecast_phased_gbp,
        forecast_ranges.range_method as forecast_range_method,
        forecast_ranges.low_ratio as forecast_low_ratio,
        forecast_ranges.high_ratio as forecast_high_ratio,
        -- the one rule for when a variance means something (docs/decisions/0019)
        case
            when year_to_date.plan_source is null then 'no_plan'
            when year_to_date.plan_source = 'illustrative' then 'illustrative_plan'
            when year_to_date.allocation_basis = 'host' then 'plan_host_based'
        end as variance_withheld_reason,
        cast(year_to_date.plan_gbp - year_to_date.plan_not_covered_by_feeds_gbp as decimal(38, 2))
            as plan_covered_by_feeds_gbp,
        cast(year_to_date.ytd_plan_gbp - year_to_date.ytd_plan_not_covered_by_feeds_gbp as decimal(38, 2))
            as ytd_plan_covered_by_feeds_gbp,
        cast(year_to_date.annual_plan_gbp - year_to_date.annual_plan_not_covered_by_feeds_gbp as decimal(38, 2))
            as annual_plan_covered_by_feeds_gbp
    from year_to_date
    left join forecast_ranges
        on
            year_to_date.financial_year = forecast_ranges.financial_year
            and year_to_date.financial_month = forecast_ranges.financial_month
),

-- variances only where the plan is a real plan for the ICB's patients; SLAM against the part
-- of the plan the feeds report, the ledger (which pays everything) against the whole plan
variances as (
    select
        forecasts.*,
        forecasts.variance_withheld_reason is null as is_variance_published,
        {{ round_decimal('forecasts.slam_forecast_outturn_gbp * forecasts.forecast_low_ratio') }}
            as slam_forecast_outturn_low_gbp,
        {{ round_decimal('forecasts.slam_forecast_outturn_gbp * forecasts.forecast_high_ratio') }}
            as slam_forecast_outturn_high_gbp
    from forecasts
),

final as (
    select
        {{ surrogate_key([
            'forecasts.icb_code', 'forecasts.financial_year', 'forecasts.financial_month',
            'forecasts.funding_stream'
        ]) }} as icb_spend_monthly_key,
        forecasts.icb_code,
        coalesce(footprint.icb_name, 'Unattributed / unknown ICB') as icb_name,
        coalesce(footprint.current_icb_code, forecasts.icb_code) as current_icb_code,
        coalesce(current_names.icb_name, footprint.icb_name, 'Unattributed / unknown ICB')
            as current_icb_name,
        coalesce(footprint.is_in_footprint, false) as is_in_footprint,
        forecasts.financial_year,
        forecasts.financial_month,
        {{ date_of_financial_period('forecasts.financial_year', 'forecasts.financial_month') }}
            as period_start_date,
        forecasts.funding_stream,
        forecasts.allocation_basis,
        forecasts.plan_source,
        forecasts.budget_version,
        forecasts.phase_weight,
        forecasts.annual_plan_gbp,
        forecasts.plan_gbp,
        forecasts.plan_not_covered_by_feeds_gbp,
        forecasts.plan_covered_by_feeds_gbp,
        forecasts.annual_plan_not_covered_by_feeds_gbp,
        forecasts.annual_plan_covered_by_feeds_gbp,
        forecasts.ytd_plan_not_covered_by_feeds_gbp,
        forecasts.ytd_plan_covered_by_feeds_gbp,
        forecasts.variance_withheld_reason,
        forecasts.slam_actual_gbp,
        forecasts.providers_expected,
        forecasts.providers_reported,
        forecasts.missing_providers,
        forecasts.is_complete,
        forecasts.slam_estimated_gbp,
        forecasts.slam_actual_gbp + forecasts.slam_estimated_gbp as slam_with_estimates_gbp,
        forecasts.ledger_actual_gbp,
        forecasts.ledger_feed_providers_gbp,
        cast(
            {{ round_quotient('forecasts.ledger_feed_providers_gbp', 'forecasts.ledger_actual_gbp', 4) }}
            as decimal(18, 4)
        ) as feed_coverage_ratio,
        case
            when forecasts.is_variance_published
                then forecasts.slam_actual_gbp - forecasts.plan_covered_by_feeds_gbp
        end as slam_variance_gbp,
        case
            when forecasts.is_variance_published
                then
                    forecasts.slam_actual_gbp + forecasts.slam_estimated_gbp
                    - forecasts.plan_covered_by_feeds_gbp
        end as slam_with_estimates_variance_gbp,
        case
            when forecasts.is_variance_published
                then forecasts.ledger_actual_gbp - forecasts.plan_gbp
        end as ledger_variance_gbp,
        forecasts.ytd_plan_gbp,
        forecasts.ytd_slam_actual_gbp,
        forecasts.ytd_slam_estimated_gbp,
        forecasts.ytd_slam_with_estimates_gbp,
        forecasts.ytd_ledger_actual_gbp,
        forecasts.ytd_ledger_feed_providers_gbp,
        case
            when forecasts.is_variance_published
                then forecasts.ytd_slam_actual_gbp - forecasts.ytd_plan_covered_by_feeds_gbp
        end as ytd_slam_variance_gbp,
        case
            when forecasts.is_variance_published
                then forecasts.ytd_slam_with_estimates_gbp - forecasts.ytd_plan_covered_by_feeds_gbp
        end as ytd_slam_with_estimates_variance_gbp,
        case
            when forecasts.is_variance_published
                then forecasts.ytd_ledger_actual_gbp - forecasts.ytd_plan_gbp
        end as ytd_ledger_variance_gbp,
        forecasts.slam_forecast_run_rate_gbp,
        forecasts.slam_forecast_phased_gbp,
        case
            when forecasts.is_variance_published
                then forecasts.slam_forecast_phased_gbp - forecasts.annual_plan_covered_by_feeds_gbp
        end as slam_forecast_variance_gbp,
        forecasts.slam_forecast_outturn_gbp,
        forecasts.slam_forecast_outturn_low_gbp,
        forecasts.slam_forecast_outturn_high_gbp,
        forecasts.forecast_range_method,
        case
            when forecasts.is_variance_published
                then forecasts.slam_forecast_outturn_gbp - forecasts.annual_plan_covered_by_feeds_gbp
        end as slam_forecast_outturn_variance_gbp,
        forecasts.ledger_forecast_run_rate_gbp,
        forecasts.ledger_forecast_phased_gbp,
        case
            when forecasts.is_variance_published
                then forecasts.ledger_forecast_phased_gbp - forecasts.annual_plan_gbp
        end as ledger_forecast_variance_gbp,
        forecasts.is_slam_reported,
        forecasts.is_ledger_reported
    from variances as forecasts
    left join footprint
        on forecasts.icb_code = footprint.icb_code
    left join footprint as current_names
        on footprint.current_icb_code = current_names.icb_code
)

select * from final
