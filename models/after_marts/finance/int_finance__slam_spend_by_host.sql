{#- Each flow-month's SLAM pounds on both allocation bases' ICBs: one row per provider ×
    attributed ICB × funding stream × financial year × month, the Actual pounds of the month
    (int_finance__slam_flows_monthly) and, for a month its provider did not send, the month's
    estimate (int_finance__slam_flow_estimates; is_estimate), with the provider's host ICB in
    the row's month (int_provider__host_periods: a dissolved host's successor after a merger;
    UNKNOWN when none) and the attributed ICB (population_icb_code). A step of
    int_finance__allocation_bases. -#}
with

flows_monthly as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        actual_gbp
    from {{ ref('int_finance__slam_flows_monthly') }}
),

flow_estimates as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        estimated_gbp
    from {{ ref('int_finance__slam_flow_estimates') }}
    where not is_submitted
),

-- Each flow's Actual pounds by month, and the estimate of each month its provider did not send.
flow_months as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        actual_gbp as spend_gbp,
        cast(0 as decimal(38, 2)) as estimated_gbp,
        false as is_estimate
    from flows_monthly
    union all
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        estimated_gbp as spend_gbp,
        estimated_gbp,
        true as is_estimate
    from flow_estimates
),

host_periods as (
    select
        provider_code,
        host_icb_code,
        valid_from,
        valid_to
    from {{ ref('int_provider__host_periods') }}
),

final as (
    select
        flow_months.provider_code,
        coalesce(host_periods.host_icb_code, {{ unknown_code() }}) as host_icb_code,
        flow_months.icb_code as population_icb_code,
        flow_months.funding_stream,
        flow_months.financial_year,
        flow_months.financial_month,
        flow_months.spend_gbp,
        flow_months.estimated_gbp,
        flow_months.is_estimate
    from flow_months
    left join host_periods
        on
            flow_months.provider_code = host_periods.provider_code
            and {{ date_of_financial_period('flow_months.financial_year', 'flow_months.financial_month') }}
            between host_periods.valid_from and host_periods.valid_to
)

select * from final
