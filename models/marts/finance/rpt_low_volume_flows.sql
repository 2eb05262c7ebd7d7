{#- Low volume flows: one row per provider × ICB × financial year × funding stream whose annual
    value is below the year's threshold (seed low_volume_flow_thresholds: £0.5m to 2024/25,
    £1.5m from 2025/26) — the list a finance team pays through the LVF route. A flow is the
    provider's SLAM Actual money for patients attributed to the ICB; its annual value is its
    pounds so far × 12 ÷ the months the provider submitted that year (the run rate, so a
    missing or not-yet-reported month neither shrinks a flow into the list nor keeps it out).
    Unattributed money (no ICB) is not a flow. Method: docs/marts/low-volume-flows.md. -#}
with

flow_estimates as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        months_submitted,
        actual_gbp,
        actual_activity
    from {{ ref('int_finance__slam_flow_estimates') }}
    where icb_code != {{ unknown_code() }}
),

thresholds as (
    select
        financial_year,
        threshold_gbp,
        payment_route
    from {{ ref('low_volume_flow_thresholds') }}
),

footprint as (
    select
        icb_code,
        icb_name,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

dim_provider as (
    select
        provider_code,
        provider_name
    from {{ ref('dim_provider') }}
    where not is_unknown_member
),

flows as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        max(months_submitted) as months_submitted,
        cast(coalesce(sum(actual_activity), 0) as decimal(38, 3)) as activity,
        cast(coalesce(sum(actual_gbp), 0) as decimal(38, 2)) as price_gbp
    from flow_estimates
    group by provider_code, icb_code, funding_stream, financial_year
),

-- The threshold of the year, else of the latest earlier year listed.
flow_thresholds as (
    select
        flows.*,
        thresholds.threshold_gbp,
        thresholds.payment_route,
        row_number() over (
            partition by flows.provider_code, flows.icb_code, flows.funding_stream, flows.financial_year
            order by thresholds.financial_year desc
        ) as threshold_rank
    from flows
    inner join thresholds
        on flows.financial_year >= thresholds.financial_year
),

valued as (
    select
        flow_thresholds.*,
        {{ round_quotient('flow_thresholds.price_gbp * 12.0', 'flow_thresholds.months_submitted') }}
            as annual_value_gbp
    from flow_thresholds
    where flow_thresholds.threshold_rank = 1 and flow_thresholds.months_submitted > 0
),

final as (
    select
        {{ surrogate_key([
            'valued.provider_code', 'valued.icb_code', 'valued.financial_year', 'valued.funding_stream'
        ]) }} as low_volume_flow_key,
        valued.provider_code,
        dim_provider.provider_name,
        valued.icb_code,
        footprint.icb_name,
        coalesce(footprint.is_in_footprint, false) as is_in_footprint,
        valued.financial_year,
        valued.funding_stream,
        valued.activity,
        valued.price_gbp,
        valued.months_submitted,
        valued.months_submitted = 12 as is_year_complete,
        valued.annual_value_gbp,
        valued.threshold_gbp,
        valued.payment_route
    from valued
    left join dim_provider
        on valued.provider_code = dim_provider.provider_code
    left join footprint
        on valued.icb_code = footprint.icb_code
    where valued.annual_value_gbp > 0 and valued.annual_value_gbp < valued.threshold_gbp
)

select * from final
