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
    docs/marts/icb-spend-against-plan.md and docs/marts/completeness.md. -#}
with

monthly_plan as (
    select
        icb_code,
        financial_year,
        funding_stream,
        allocation_basis,
        plan_source,
        budget_version,
        financial_month,
        annual_plan_gbp,
        annual_plan_not_covered_by_feeds_gbp,
        plan_gbp,
        plan_not_covered_by_feeds_gbp
    from {{ ref('int_finance__icb_monthly_plan') }}
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

completeness as (
    select
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        providers_expected,
        providers_reported,
        missing_providers,
        is_complete,
        slam_actual_gbp,
        slam_estimated_gbp
    from {{ ref('int_finance__icb_slam_completeness') }}
),

ledger_monthly as (
    select
        icb_code,
        financial_year,
        financial_month,
        funding_stream,
        ledger_reported_to_month,
        ledger_actual_gbp,
        ledger_feed_providers_gbp
    from {{ ref('int_finance__icb_ledger_monthly') }}
),

submissions as (
    select
        financial_year,
        latest_month_stated
    from {{ ref('int_slam__expected_submissions') }}
),

footprint as (
    select
        icb_code,
        icb_name,
        current_icb_code,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

cumulative_phasing as (
    select
        financial_month,
        phase_weight,
        cumulative_weight
    from {{ ref('stg_reference__plan_phasing') }}
),

-- The latest month SLAM states in each year (any provider): later months are not yet reported.
slam_reported_to as (
    select
        financial_year,
        max(latest_month_stated) as slam_reported_to_month
    from submissions
    group by financial_year
),

ledger_reported_to as (
    select
        icb_code,
        financial_year,
        max(ledger_reported_to_month) as ledger_reported_to_month
    from ledger_monthly
    group by icb_code, financial_year
),

icb_year_streams as (
    select
        icb_code,
        financial_year,
        funding_stream
    from monthly_plan
    union
    select
        icb_code,
        financial_year,
        funding_stream
    from completeness
    union
    select
        icb_code,
        financial_year,
        funding_stream
    from ledger_monthly
),

spine as (
    select
        icb_year_streams.icb_code,
        icb_year_streams.financial_year,
        cumulative_phasing.financial_month,
        icb_year_streams.funding_stream,
        cumulative_phasing.phase_weight,
        cumulative_phasing.cumulative_weight
    from icb_year_streams
    cross join cumulative_phasing
),

-- a month is reported once SLAM (for the year) or the ICB's ledger has reached it: one rule
spine_reported as (
    select
        spine.*,
        coalesce(spine.financial_month <= slam_reported_to.slam_reported_to_month, false)
            as is_slam_reported,
        coalesce(spine.financial_month <= ledger_reported_to.ledger_reported_to_month, false)
            as is_ledger_reported
    from spine
    left join slam_reported_to
        on spine.financial_year = slam_reported_to.financial_year
    left join ledger_reported_to
        on
            spine.icb_code = ledger_reported_to.icb_code
            and spine.financial_year = ledger_reported_to.financial_year
),

monthly as (
    select
        spine.icb_code,
        spine.financial_year,
        spine.financial_month,
        spine.funding_stream,
        monthly_plan.allocation_basis,
        monthly_plan.plan_source,
        monthly_plan.budget_version,
        spine.phase_weight,
        spine.cumulative_weight,
        coalesce(monthly_plan.annual_plan_gbp, 0) as annual_plan_gbp,
        coalesce(monthly_plan.annual_plan_not_covered_by_feeds_gbp, 0) as annual_plan_not_covered_by_feeds_gbp,
        coalesce(monthly_plan.plan_gbp, 0) as plan_gbp,
        coalesce(monthly_plan.plan_not_covered_by_feeds_gbp, 0) as plan_not_covered_by_feeds_gbp,
        spine.is_slam_reported,
        spine.is_ledger_reported,
        case when spine.is_slam_reported then coalesce(completeness.providers_expected, 0) end
            as providers_expected,
        case when spine.is_slam_reported then coalesce(completeness.providers_reported, 0) end
            as providers_reported,
        case when spine.is_slam_reported then coalesce(completeness.missing_providers, '') end
            as missing_providers,
        spine.is_slam_reported and coalesce(completeness.is_complete, true) as is_complete,
        case when spine.is_slam_reported then coalesce(completeness.slam_actual_gbp, 0) end
            as slam_actual_gbp,
        case when spine.is_slam_reported then coalesce(completeness.slam_estimated_gbp, 0) end
            as slam_estimated_gbp,
        case when spine.is_ledger_reported then coalesce(ledger_monthly.ledger_actual_gbp, 0) end
            as ledger_actual_gbp,
        case when spine.is_ledger_reported then coalesce(ledger_monthly.ledger_feed_providers_gbp, 0) end
            as ledger_feed_providers_gbp
    from spine_reported as spine
    left join monthly_plan
        on
            spine.icb_code = monthly_plan.icb_code
            and spine.financial_year = monthly_plan.financial_year
            and spine.funding_stream = monthly_plan.funding_stream
            and spine.financial_month = monthly_plan.financial_month
    left join completeness
        on
            spine.icb_code = completeness.icb_code
            and spine.financial_year = completeness.financial_year
            and spine.funding_stream = completeness.funding_stream
            and spine.financial_month = completeness.financial_month
    left join ledger_monthly
        on
            spine.icb_code = ledger_monthly.icb_code
            and spine.financial_year = ledger_monthly.financial_year
            and spine.funding_stream = ledger_monthly.funding_stream
            and spine.financial_month = ledger_monthly.financial_month
),

year_to_date as (
    select
        monthly.*,
        sum(monthly.plan_gbp) over year_so_far as ytd_plan_gbp,
        sum(monthly.plan_not_covered_by_feeds_gbp) over year_so_far as ytd_plan_not_covered_by_feeds_gbp,
        case when monthly.is_slam_reported then sum(monthly.slam_actual_gbp) over year_so_far end
            as ytd_slam_actual_gbp,
        case when monthly.is_slam_reported then sum(monthly.slam_estimated_gbp) over year_so_far end
            as ytd_slam_estimated_gbp,
        case
            when monthly.is_ledger_reported then sum(monthly.ledger_actual_gbp) over year_so_far
        end as ytd_ledger_actual_gbp,
        case
            when monthly.is_ledger_reported then sum(monthly.ledger_feed_providers_gbp) over year_so_far
        end as ytd_ledger_feed_providers_gbp
    from monthly
    window year_so_far as (
        partition by icb_code, financial_year, funding_stream
        order by financial_month
        rows between unbounded preceding and current row
    )
),

forecasts as (
    select
        year_to_date.*,
        year_to_date.ytd_slam_actual_gbp + year_to_date.ytd_slam_estimated_gbp as ytd_slam_with_estimates_gbp,
        {{ round_quotient('year_to_date.ytd_slam_actual_gbp * 12', 'year_to_date.financial_month') }}
            as slam_forecast_run_rate_gbp,
        {{ round_quotient('year_to_date.ytd_slam_actual_gbp', 'year_to_date.cumulative_weight') }}
            as slam_forecast_phased_gbp,
        {{ round_quotient(
            'year_to_date.ytd_slam_actual_gbp + year_to_date.ytd_slam_estimated_gbp',
            'year_to_date.cumulative_weight'
        ) }}
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
