{#- The estimates of the months a provider has not sent, shared among the ICB's specialised
    service lines: per ICB × service line × financial year, each flow's estimate
    (int_finance__slam_flow_estimates, provider × ICB × funding stream) in proportion to the
    line's part of the flow's actual (for the run-rate method that is the line's own run rate;
    int_finance__icb_line_provider_actuals).
    A step of int_finance__icb_line_rates (completeness, issue 24). -#}
with

provider_icb_lines as (
    select
        provider_code,
        icb_code,
        service_line_code,
        funding_stream,
        financial_year,
        line_actual_gbp,
        line_actual_activity
    from {{ ref('int_finance__icb_line_provider_actuals') }}
),

flow_estimates as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        actual_gbp,
        actual_activity,
        estimated_gbp,
        estimated_activity
    from {{ ref('int_finance__slam_flow_estimates') }}
),

-- Each flow's year: its actuals and the estimates of its missing months.
flow_years as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        sum(actual_gbp) as flow_actual_gbp,
        sum(actual_activity) as flow_actual_activity,
        sum(estimated_gbp) as flow_estimated_gbp,
        sum(estimated_activity) as flow_estimated_activity
    from flow_estimates
    group by provider_code, icb_code, funding_stream, financial_year
),

-- The flow's estimate shared by the line's part of the flow's actual.
final as (
    select
        provider_icb_lines.icb_code,
        provider_icb_lines.service_line_code,
        provider_icb_lines.financial_year,
        cast(coalesce(sum({{ round_quotient(
            'provider_icb_lines.line_actual_gbp * flow_years.flow_estimated_gbp', 'flow_years.flow_actual_gbp'
        ) }}), 0) as decimal(38, 2)) as estimated_spend_gbp,
        cast(coalesce(sum({{ round_quotient(
            'provider_icb_lines.line_actual_activity * flow_years.flow_estimated_activity',
            'flow_years.flow_actual_activity', 3
        ) }}), 0) as decimal(38, 3)) as estimated_activity
    from provider_icb_lines
    inner join flow_years
        on
            provider_icb_lines.provider_code = flow_years.provider_code
            and provider_icb_lines.icb_code = flow_years.icb_code
            and provider_icb_lines.funding_stream = flow_years.funding_stream
            and provider_icb_lines.financial_year = flow_years.financial_year
    group by provider_icb_lines.icb_code, provider_icb_lines.service_line_code, provider_icb_lines.financial_year
)

select * from final
