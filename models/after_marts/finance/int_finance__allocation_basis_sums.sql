{#- The allocation bases before any pace-of-change limit, as sums: per ICB × financial year ×
    funding stream, the year's SLAM Actual pounds with the estimates of missing months
    (int_finance__slam_spend_by_host) by the provider's host ICB (host basis) and by the
    attributed ICB (population basis), each with the estimate inside it and the count of
    expected provider-months not sent, and the national total of the year and stream. Rows:
    every ICB either basis holds, and every footprint ICB in force that year
    (int_reference__footprint_years) for each year and stream with spend. A step of
    int_finance__allocation_bases. -#}
with

spend as (
    select
        host_icb_code,
        population_icb_code,
        funding_stream,
        financial_year,
        spend_gbp,
        estimated_gbp,
        is_estimate
    from {{ ref('int_finance__slam_spend_by_host') }}
),

footprint_years as (
    select
        icb_code,
        financial_year
    from {{ ref('int_reference__footprint_years') }}
    where is_in_footprint
),

year_streams as (
    select
        financial_year,
        funding_stream,
        cast(sum(spend_gbp) as decimal(38, 2)) as national_total_gbp,
        cast(sum(estimated_gbp) as decimal(38, 2)) as national_estimated_gbp
    from spend
    group by financial_year, funding_stream
),

host_basis as (
    select
        host_icb_code as icb_code,
        financial_year,
        funding_stream,
        cast(sum(spend_gbp) as decimal(38, 2)) as host_basis_gbp,
        cast(sum(estimated_gbp) as decimal(38, 2)) as host_estimated_gbp,
        count(*) filter (where is_estimate) as host_missing_provider_months
    from spend
    group by host_icb_code, financial_year, funding_stream
),

population_basis as (
    select
        population_icb_code as icb_code,
        financial_year,
        funding_stream,
        cast(sum(spend_gbp) as decimal(38, 2)) as population_basis_gbp,
        cast(sum(estimated_gbp) as decimal(38, 2)) as population_estimated_gbp,
        count(*) filter (where is_estimate) as missing_provider_months
    from spend
    group by population_icb_code, financial_year, funding_stream
),

footprint_rows as (
    select
        footprint_years.icb_code,
        year_streams.financial_year,
        year_streams.funding_stream
    from footprint_years
    inner join year_streams
        on footprint_years.financial_year = year_streams.financial_year
),

icb_rows as (
    select
        icb_code,
        financial_year,
        funding_stream
    from host_basis
    union
    select
        icb_code,
        financial_year,
        funding_stream
    from population_basis
    union
    select
        icb_code,
        financial_year,
        funding_stream
    from footprint_rows
),

final as (
    select
        icb_rows.icb_code,
        icb_rows.financial_year,
        icb_rows.funding_stream,
        year_streams.national_total_gbp,
        coalesce(host_basis.host_basis_gbp, 0) as host_basis_gbp,
        coalesce(population_basis.population_basis_gbp, 0) as population_basis_gbp,
        year_streams.national_estimated_gbp,
        coalesce(host_basis.host_estimated_gbp, 0) as host_estimated_gbp,
        coalesce(population_basis.population_estimated_gbp, 0) as population_estimated_gbp,
        coalesce(host_basis.host_missing_provider_months, 0) as host_missing_provider_months,
        coalesce(population_basis.missing_provider_months, 0) as missing_provider_months
    from icb_rows
    inner join year_streams
        on
            icb_rows.financial_year = year_streams.financial_year
            and icb_rows.funding_stream = year_streams.funding_stream
    left join host_basis
        on
            icb_rows.icb_code = host_basis.icb_code
            and icb_rows.financial_year = host_basis.financial_year
            and icb_rows.funding_stream = host_basis.funding_stream
    left join population_basis
        on
            icb_rows.icb_code = population_basis.icb_code
            and icb_rows.financial_year = population_basis.financial_year
            and icb_rows.funding_stream = population_basis.funding_stream
)

select * from final
