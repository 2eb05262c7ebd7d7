{#- Actual or estimate for every expected provider-month of every flow. A flow is a provider ×
    attributed ICB × funding stream with SLAM Actual money in the financial year (its
    submission history), or on the year's contracted_providers list. Its provider is expected every month from April to the latest month
    any provider has stated that year (int_slam__expected_submissions, the one home of that rule). A month
    the provider never submitted is estimated by the default method, the flow's run rate: its
    Actual pounds (and activity) over the months the provider did submit that year ÷ the number
    of those months (a month submitted without a row for the flow counts as £0). dbt var
    slam_estimate_method = 'phased_run_rate' instead scales by the plan phasing (the submitted
    months' pounds ÷ their phase weights × the missing month's weight). Alternatives and the
    measured error: docs/marts/completeness.md. A contracted flow whose provider has submitted
    nothing that year has no run rate: its estimate is the contract's annual value × the
    month's phase weight (estimate_method contract_value), never a silent £0. -#}
{%- set method = var('slam_estimate_method', 'run_rate') -%}
{%- if method not in ('run_rate', 'phased_run_rate') -%}
    {{ exceptions.raise_compiler_error(
        "dbt var slam_estimate_method = " ~ method ~ ": use run_rate or phased_run_rate"
    ) }}
{%- endif %}
with

flows_monthly as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        actual_gbp,
        actual_activity
    from {{ ref('int_finance__slam_flows_monthly') }}
),

submissions as (
    select
        provider_code,
        financial_year,
        financial_month,
        is_missing,
        winning_file,
        latest_received_at
    from {{ ref('int_slam__expected_submissions') }}
),

contracts as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        annual_contract_gbp
    from {{ ref('contracted_providers') }}
),

flows as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year
    from flows_monthly
    union
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year
    from contracts
),

plan_phasing as (
    select
        financial_month,
        phase_weight
    from {{ ref('stg_reference__plan_phasing') }}
),

provider_years as (
    select
        provider_code,
        financial_year,
        count(*) filter (where not is_missing) as months_submitted
    from submissions
    group by provider_code, financial_year
),

expected as (
    select
        flows.provider_code,
        flows.icb_code,
        flows.funding_stream,
        flows.financial_year,
        submissions.financial_month,
        not submissions.is_missing as is_submitted,
        submissions.winning_file,
        submissions.latest_received_at,
        provider_years.months_submitted
    from flows
    inner join submissions
        on
            flows.provider_code = submissions.provider_code
            and flows.financial_year = submissions.financial_year
    inner join provider_years
        on
            flows.provider_code = provider_years.provider_code
            and flows.financial_year = provider_years.financial_year
),

with_actuals as (
    select
        expected.provider_code,
        expected.icb_code,
        expected.funding_stream,
        expected.financial_year,
        expected.financial_month,
        expected.is_submitted,
        expected.winning_file,
        expected.latest_received_at,
        expected.months_submitted,
        plan_phasing.phase_weight,
        contracts.annual_contract_gbp,
        case when expected.is_submitted then coalesce(flows_monthly.actual_gbp, 0) end as actual_gbp,
        case when expected.is_submitted then coalesce(flows_monthly.actual_activity, 0) end as actual_activity
    from expected
    left join flows_monthly
        on
            expected.provider_code = flows_monthly.provider_code
            and expected.icb_code = flows_monthly.icb_code
            and expected.funding_stream = flows_monthly.funding_stream
            and expected.financial_year = flows_monthly.financial_year
            and expected.financial_month = flows_monthly.financial_month
    left join plan_phasing
        on expected.financial_month = plan_phasing.financial_month
    left join contracts
        on
            expected.provider_code = contracts.provider_code
            and expected.icb_code = contracts.icb_code
            and expected.funding_stream = contracts.funding_stream
            and expected.financial_year = contracts.financial_year
),

run_rates as (
    select
        with_actuals.*,
        {%- if method == 'run_rate' %}
            cast(sum(with_actuals.actual_gbp) over flow_year as double)
            / nullif(with_actuals.months_submitted, 0) as run_rate_gbp,
            cast(sum(with_actuals.actual_activity) over flow_year as double)
            / nullif(with_actuals.months_submitted, 0) as run_rate_activity
        {%- else %}
        cast(sum(actual_gbp) over flow_year * phase_weight as double)
        / nullif(sum(phase_weight) filter (where is_submitted) over flow_year, 0) as run_rate_gbp,
        sum(actual_activity) over flow_year * phase_weight
        / nullif(sum(phase_weight) filter (where is_submitted) over flow_year, 0) as run_rate_activity
        {%- endif %}
    from with_actuals
    window flow_year as (partition by provider_code, icb_code, funding_stream, financial_year)
),

final as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        is_submitted,
        winning_file,
        latest_received_at,
        months_submitted,
        actual_gbp,
        actual_activity,
        {{ round_decimal('run_rate_gbp') }} as run_rate_gbp,
        case
            when is_submitted then cast(0 as decimal(38, 2))
            when months_submitted = 0 then {{ round_decimal('annual_contract_gbp * phase_weight') }}
            else {{ round_decimal('coalesce(run_rate_gbp, 0)') }}
        end as estimated_gbp,
        -- a contract value says nothing about activity: unknown (NULL), not 0
        case
            when is_submitted then cast(0 as decimal(38, 3))
            when months_submitted > 0 then {{ round_decimal('coalesce(run_rate_activity, 0)', 3) }}
        end as estimated_activity,
        case
            when is_submitted then null
            when months_submitted = 0 then 'contract_value'
            else '{{ method }}'
        end as estimate_method
    from run_rates
)

select * from final
