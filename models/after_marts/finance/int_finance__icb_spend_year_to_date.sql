{#- The ICB spend mart's figures month by month and year to date: per ICB × financial year ×
    financial month × funding stream of int_finance__icb_spend_spine, the plan in force
    (int_finance__icb_monthly_plan), the SLAM figures and their completeness
    (int_finance__icb_slam_completeness) once SLAM reports the month, the ledger's
    (int_finance__icb_ledger_monthly) once the ICB's ledger does, and each summed from April to
    the month (year_to_date), SLAM's with its estimates too: the one year to date with estimates
    that the forecast and its past errors (int_finance__slam_forecast_errors) read. A step of
    fct_icb_spend_monthly. -#}
{%- set per_icb_stream = ['icb_code', 'funding_stream'] -%}
with

spine as (
    select
        icb_code,
        financial_year,
        financial_month,
        funding_stream,
        phase_weight,
        cumulative_weight,
        is_slam_reported,
        is_ledger_reported
    from {{ ref('int_finance__icb_spend_spine') }}
),

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
        ledger_actual_gbp,
        ledger_feed_providers_gbp
    from {{ ref('int_finance__icb_ledger_monthly') }}
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
    from spine
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

final as (
    select
        monthly.*,
        {{ year_to_date('monthly.plan_gbp', per_icb_stream) }} as ytd_plan_gbp,
        {{ year_to_date('monthly.plan_not_covered_by_feeds_gbp', per_icb_stream) }}
            as ytd_plan_not_covered_by_feeds_gbp,
        case when monthly.is_slam_reported then {{ year_to_date('monthly.slam_actual_gbp', per_icb_stream) }} end
            as ytd_slam_actual_gbp,
        case when monthly.is_slam_reported then {{ year_to_date('monthly.slam_estimated_gbp', per_icb_stream) }} end
            as ytd_slam_estimated_gbp,
        case
            when monthly.is_slam_reported
                then {{ year_to_date('monthly.slam_actual_gbp + monthly.slam_estimated_gbp', per_icb_stream) }}
        end as ytd_slam_with_estimates_gbp,
        case
            when monthly.is_ledger_reported then {{ year_to_date('monthly.ledger_actual_gbp', per_icb_stream) }}
        end as ytd_ledger_actual_gbp,
        case
            when monthly.is_ledger_reported
                then {{ year_to_date('monthly.ledger_feed_providers_gbp', per_icb_stream) }}
        end as ytd_ledger_feed_providers_gbp
    from monthly
)

select * from final
