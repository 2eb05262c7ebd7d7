{#- The national or regional rate of use and spend per 100,000 needs-weighted population per
    service line and year (seed service_line_reference_rates), codes cleaned once: the centre
    line of rpt_icb_variation's funnel. -#}
with

service_line_reference_rates as (
    select
        service_line_code,
        financial_year,
        geography_code,
        activity_per_100k,
        spend_per_100k,
        source,
        is_illustrative
    from {{ ref('service_line_reference_rates') }}
),

final as (
    select
        upper(trim(service_line_code)) as service_line_code,
        trim(financial_year) as financial_year,
        upper(trim(geography_code)) as geography_code,
        activity_per_100k,
        spend_per_100k,
        source,
        is_illustrative
    from service_line_reference_rates
)

select * from final
