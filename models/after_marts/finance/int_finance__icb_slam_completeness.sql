{#- Completeness of the SLAM figure per ICB × funding stream × financial year × month: the
    providers expected (those with a flow to the ICB and stream in the year), those that
    submitted the month, the missing ones by name, and the month's actual and estimated pounds
    (int_finance__slam_flow_estimates). Months after the latest month any provider has stated
    that year are not here: nothing is reported for them yet. -#}
with

flow_estimates as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        is_submitted,
        actual_gbp,
        actual_activity,
        estimated_gbp,
        estimated_activity
    from {{ ref('int_finance__slam_flow_estimates') }}
),

final as (
    select
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        count(*) as providers_expected,
        count(*) filter (where is_submitted) as providers_reported,
        coalesce(
            {{ ordered_string_agg('provider_code', ', ', 'provider_code', filter='not is_submitted') }}, ''
        ) as missing_providers,
        count(*) filter (where not is_submitted) = 0 as is_complete,
        cast(coalesce(sum(actual_gbp), 0) as decimal(38, 2)) as slam_actual_gbp,
        cast(coalesce(sum(estimated_gbp), 0) as decimal(38, 2)) as slam_estimated_gbp,
        cast(coalesce(sum(actual_activity), 0) as decimal(38, 3)) as slam_actual_activity,
        cast(coalesce(sum(estimated_activity), 0) as decimal(38, 3)) as slam_estimated_activity
    from flow_estimates
    group by icb_code, funding_stream, financial_year, financial_month
)

select * from final
