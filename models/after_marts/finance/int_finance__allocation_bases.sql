{#- The three allocation bases before any pace-of-change limit, true to the footprint: per ICB ×
    financial year × funding stream, on the boundaries in force that year, the year's SLAM
    Actual pounds with the estimates of the months a provider did not send (the spend mart's,
    int_finance__slam_flow_estimates) by the provider's host ICB in the row's month
    (int_provider__host_periods: a dissolved host's successor after a merger; host basis) and by
    the attributed ICB (population basis), each with the estimate inside it and the count of
    expected provider-months not sent (missing_provider_months, as rpt_icb_variation counts
    them); and for the footprint's ICBs in force that year
    (int_reference__footprint_years) a needs target that shares the footprint's
    population-basis total among them only, by their published allocations when every
    footprint ICB has one (int_reference__icb_allocations_in_force, basis needs or population)
    else by registered population × needs index (int_reference__icb_populations_in_force;
    failing both, the population basis itself). A successor the reference has no rows for yet
    takes its predecessors' added up, so a merger conserves the footprint's money. ICBs
    outside the footprint (and UNKNOWN) keep their population basis as their needs figure: the
    warehouse does not see the money it would share among them. docs/marts/allocation-impact.md. -#}
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

icb_populations as (
    select
        icb_code,
        financial_year,
        population_financial_year,
        registered_population,
        needs_index,
        weighted_population
    from {{ ref('int_reference__icb_populations_in_force') }}
),

icb_allocations as (
    select
        icb_code,
        financial_year,
        funding_stream,
        allocation_gbp
    from {{ ref('int_reference__icb_allocations_in_force') }}
    where allocation_basis in ('needs', 'population')
),

footprint_years as (
    select
        icb_code,
        financial_year
    from {{ ref('int_reference__footprint_years') }}
    where is_in_footprint
),

footprint as (
    select
        icb_code,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

spend as (
    select
        coalesce(host_periods.host_icb_code, 'UNKNOWN') as host_icb_code,
        flow_months.icb_code as population_icb_code,
        flow_months.funding_stream,
        flow_months.financial_year,
        flow_months.spend_gbp,
        flow_months.estimated_gbp,
        flow_months.is_estimate
    from flow_months
    left join host_periods
        on
            flow_months.provider_code = host_periods.provider_code
            and {{ date_of_financial_period('flow_months.financial_year', 'flow_months.financial_month') }}
            between host_periods.valid_from and host_periods.valid_to
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

bases as (
    select
        icb_rows.icb_code,
        icb_rows.financial_year,
        icb_rows.funding_stream,
        coalesce(footprint.is_in_footprint, false) as is_in_footprint,
        year_streams.national_total_gbp,
        coalesce(host_basis.host_basis_gbp, 0) as host_basis_gbp,
        coalesce(population_basis.population_basis_gbp, 0) as population_basis_gbp,
        year_streams.national_estimated_gbp,
        coalesce(host_basis.host_estimated_gbp, 0) as host_estimated_gbp,
        coalesce(population_basis.population_estimated_gbp, 0) as population_estimated_gbp,
        coalesce(host_basis.host_missing_provider_months, 0) as host_missing_provider_months,
        coalesce(population_basis.missing_provider_months, 0) as missing_provider_months,
        icb_populations.population_financial_year,
        icb_populations.registered_population,
        icb_populations.needs_index,
        icb_populations.weighted_population,
        icb_allocations.allocation_gbp as published_allocation_gbp
    from icb_rows
    inner join year_streams
        on
            icb_rows.financial_year = year_streams.financial_year
            and icb_rows.funding_stream = year_streams.funding_stream
    left join footprint
        on icb_rows.icb_code = footprint.icb_code
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
    left join icb_populations
        on
            icb_rows.icb_code = icb_populations.icb_code
            and icb_rows.financial_year = icb_populations.financial_year
    left join icb_allocations
        on
            icb_rows.icb_code = icb_allocations.icb_code
            and icb_rows.financial_year = icb_allocations.financial_year
            and icb_rows.funding_stream = icb_allocations.funding_stream
),

-- Per year and stream, over the footprint's ICBs: the money to share, and which weights share it.
footprint_totals as (
    select
        financial_year,
        funding_stream,
        sum(population_basis_gbp) as footprint_total_gbp,
        sum(population_estimated_gbp) as footprint_estimated_gbp,
        count(*) = count(published_allocation_gbp) and sum(published_allocation_gbp) > 0
            as has_published_allocations,
        sum(published_allocation_gbp) as published_allocation_total,
        sum(weighted_population) as weighted_population_total
    from bases
    where is_in_footprint
    group by financial_year, funding_stream
),

final as (
    select
        bases.icb_code,
        bases.financial_year,
        bases.funding_stream,
        bases.is_in_footprint,
        bases.national_total_gbp,
        footprint_totals.footprint_total_gbp,
        bases.host_basis_gbp,
        bases.population_basis_gbp,
        bases.national_estimated_gbp,
        footprint_totals.footprint_estimated_gbp,
        bases.host_estimated_gbp,
        bases.population_estimated_gbp,
        bases.host_missing_provider_months,
        bases.missing_provider_months,
        bases.population_financial_year,
        bases.registered_population,
        bases.needs_index,
        bases.published_allocation_gbp,
        case
            when not bases.is_in_footprint then null
            when footprint_totals.has_published_allocations then 'published_allocation'
            when footprint_totals.weighted_population_total > 0 then 'needs_weighted_population'
            else 'population_basis'
        end as needs_target_source,
        case
            when not bases.is_in_footprint then null
            when footprint_totals.has_published_allocations
                then
                    cast(bases.published_allocation_gbp as double)
                    / cast(footprint_totals.published_allocation_total as double)
            when footprint_totals.weighted_population_total > 0
                then coalesce(bases.weighted_population / footprint_totals.weighted_population_total, 0)
            else
                cast(bases.population_basis_gbp as double)
                / nullif(cast(footprint_totals.footprint_total_gbp as double), 0)
        end as needs_share,
        case
            when not bases.is_in_footprint then cast(bases.population_basis_gbp as double)
            when footprint_totals.has_published_allocations
                then
                    cast(footprint_totals.footprint_total_gbp as double)
                    * cast(bases.published_allocation_gbp as double)
                    / cast(footprint_totals.published_allocation_total as double)
            when footprint_totals.weighted_population_total > 0
                then
                    cast(footprint_totals.footprint_total_gbp as double)
                    * coalesce(bases.weighted_population / footprint_totals.weighted_population_total, 0)
            else cast(bases.population_basis_gbp as double)
        end as needs_target_exact
    from bases
    left join footprint_totals
        on
            bases.financial_year = footprint_totals.financial_year
            and bases.funding_stream = footprint_totals.funding_stream
)

select * from final
