{#- The contract plan against the actuals, like for like: one row per provider × ICB × service
    line × financial year × month the provider submitted (int_slam__expected_submissions), from current
    SLAM Plan and Actual rows (int_finance__contract_lines_monthly: the plan on the ICB it is
    for, the actuals on their patients' ICB), with the month's and the year-to-date variances
    and whether the provider states a plan (and any actual) for that ICB's line at all: a plan
    with no actual and an actual with no plan both show. Method:
    docs/marts/contract-plan-vs-actual.md. -#}
{%- set per_line = ['provider_code', 'icb_code', 'service_line_code'] -%}
with

contract_lines as (
    select
        provider_code,
        icb_code,
        service_line_code,
        financial_year,
        financial_month,
        funding_stream,
        plan_activity,
        actual_activity,
        plan_gbp,
        actual_gbp,
        like_for_like_actual_activity,
        like_for_like_actual_gbp,
        plan_icb_codes,
        plan_rows,
        actual_rows
    from {{ ref('int_finance__contract_lines_monthly') }}
),

submissions as (
    select
        provider_code,
        financial_year,
        financial_month,
        is_missing
    from {{ ref('int_slam__expected_submissions') }}
),

dim_provider as (
    select
        provider_code,
        provider_name
    from {{ ref('dim_provider') }}
    where not is_unknown_member
),

footprint as (
    select
        icb_code,
        icb_name,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

-- Every ICB's line the provider states in the year (Plan or Actual), on every month it submitted.
provider_lines as (
    select
        provider_code,
        icb_code,
        service_line_code,
        financial_year,
        max(funding_stream) as funding_stream,
        sum(plan_rows) > 0 as has_plan,
        sum(actual_rows) > 0 as has_actual,
        max(plan_icb_codes) as plan_icb_codes
    from contract_lines
    group by provider_code, icb_code, service_line_code, financial_year
),

spine as (
    select
        provider_lines.provider_code,
        provider_lines.icb_code,
        provider_lines.service_line_code,
        provider_lines.financial_year,
        submissions.financial_month,
        provider_lines.funding_stream,
        provider_lines.has_plan,
        provider_lines.has_actual,
        provider_lines.plan_icb_codes
    from provider_lines
    inner join submissions
        on
            provider_lines.provider_code = submissions.provider_code
            and provider_lines.financial_year = submissions.financial_year
    where not submissions.is_missing
),

monthly as (
    select
        spine.provider_code,
        spine.icb_code,
        spine.service_line_code,
        spine.financial_year,
        spine.financial_month,
        coalesce(contract_lines.funding_stream, spine.funding_stream) as funding_stream,
        spine.has_plan,
        spine.has_actual,
        spine.plan_icb_codes,
        coalesce(contract_lines.plan_activity, 0) as plan_activity,
        coalesce(contract_lines.actual_activity, 0) as actual_activity,
        coalesce(contract_lines.like_for_like_actual_activity, 0) as like_for_like_actual_activity,
        coalesce(contract_lines.plan_gbp, 0) as plan_gbp,
        coalesce(contract_lines.actual_gbp, 0) as actual_gbp,
        coalesce(contract_lines.like_for_like_actual_gbp, 0) as like_for_like_actual_gbp
    from spine
    left join contract_lines
        on
            spine.provider_code = contract_lines.provider_code
            and spine.icb_code = contract_lines.icb_code
            and spine.service_line_code = contract_lines.service_line_code
            and spine.financial_year = contract_lines.financial_year
            and spine.financial_month = contract_lines.financial_month
),

year_to_date as (
    select
        monthly.*,
        {{ year_to_date('monthly.plan_activity', per_line) }} as ytd_plan_activity,
        {{ year_to_date('monthly.actual_activity', per_line) }} as ytd_actual_activity,
        {{ year_to_date('monthly.plan_gbp', per_line) }} as ytd_plan_gbp,
        {{ year_to_date('monthly.actual_gbp', per_line) }} as ytd_actual_gbp,
        {{ year_to_date('monthly.like_for_like_actual_gbp', per_line) }} as ytd_like_for_like_actual_gbp
    from monthly
),

final as (
    select
        {{ surrogate_key([
            'year_to_date.provider_code', 'year_to_date.icb_code', 'year_to_date.service_line_code',
            'year_to_date.financial_year', 'year_to_date.financial_month'
        ]) }} as contract_plan_vs_actual_key,
        year_to_date.provider_code,
        dim_provider.provider_name,
        year_to_date.icb_code,
        footprint.icb_name,
        coalesce(footprint.is_in_footprint, false) as is_in_footprint,
        year_to_date.service_line_code,
        year_to_date.funding_stream,
        year_to_date.financial_year,
        year_to_date.financial_month,
        {{ date_of_financial_period('year_to_date.financial_year', 'year_to_date.financial_month') }}
            as period_start_date,
        year_to_date.has_plan,
        year_to_date.has_actual,
        year_to_date.plan_icb_codes,
        year_to_date.plan_activity,
        year_to_date.actual_activity,
        year_to_date.like_for_like_actual_activity,
        year_to_date.like_for_like_actual_activity - year_to_date.plan_activity as activity_variance,
        year_to_date.plan_gbp,
        year_to_date.actual_gbp,
        year_to_date.like_for_like_actual_gbp,
        year_to_date.like_for_like_actual_gbp - year_to_date.plan_gbp as variance_gbp,
        cast(year_to_date.ytd_plan_activity as decimal(38, 3)) as ytd_plan_activity,
        cast(year_to_date.ytd_actual_activity as decimal(38, 3)) as ytd_actual_activity,
        year_to_date.ytd_plan_gbp,
        year_to_date.ytd_actual_gbp,
        year_to_date.ytd_like_for_like_actual_gbp,
        year_to_date.ytd_like_for_like_actual_gbp - year_to_date.ytd_plan_gbp as ytd_variance_gbp,
        {{ pct_variance('year_to_date.ytd_like_for_like_actual_gbp', 'year_to_date.ytd_plan_gbp') }}
            as ytd_variance_pct
    from year_to_date
    left join dim_provider
        on year_to_date.provider_code = dim_provider.provider_code
    left join footprint
        on year_to_date.icb_code = footprint.icb_code
)

select * from final
