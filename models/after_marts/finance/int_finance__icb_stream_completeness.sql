{#- Whether an ICB's SLAM figures for a funding stream and year are complete: per ICB × funding
    stream × financial year of int_finance__slam_flow_estimates, the expected provider-months
    of its flows that were not sent (each carries an estimate). A step of
    int_finance__icb_line_rates. -#}
with

flow_estimates as (
    select
        icb_code,
        funding_stream,
        financial_year,
        is_submitted
    from {{ ref('int_finance__slam_flow_estimates') }}
),

final as (
    select
        icb_code,
        funding_stream,
        financial_year,
        count(*) filter (where not is_submitted) as missing_provider_months
    from flow_estimates
    group by icb_code, funding_stream, financial_year
)

select * from final
