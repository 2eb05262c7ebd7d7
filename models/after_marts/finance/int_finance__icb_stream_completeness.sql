{#- Whether an ICB's SLAM figures for a funding stream and year are complete: per ICB × funding
    stream × financial year, the expected provider-months of its flows that were not sent (each
    carries an estimate), the months' (int_finance__icb_slam_completeness) added up. A step of
    int_finance__icb_line_rates. -#}
with

completeness as (
    select
        icb_code,
        funding_stream,
        financial_year,
        providers_expected,
        providers_reported
    from {{ ref('int_finance__icb_slam_completeness') }}
),

final as (
    select
        icb_code,
        funding_stream,
        financial_year,
        cast(sum(providers_expected - providers_reported) as bigint) as missing_provider_months
    from completeness
    group by icb_code, funding_stream, financial_year
)

select * from final
