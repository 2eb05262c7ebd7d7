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
    warehouse does not see the money it would share among them. docs/marts/allocation-impact.md.
    Steps: int_finance__slam_spend_by_host, int_finance__allocation_basis_sums. -#}
with

basis_sums as (
    select
        icb_code,
        financial_year,
        funding_stream,
        national_total_gbp,
        host_basis_gbp,
        population_basis_gbp,
        national_estimated_gbp,
        host_estimated_gbp,
        population_estimated_gbp,
        host_missing_provider_months,
        missing_provider_months
    from {{ ref('int_finance__allocation_basis_sums') }}
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

footprint as (
    select
        icb_code,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

bases as (
    select
        basis_sums.icb_code,
        basis_sums.financial_year,
        basis_sums.funding_stream,
        coalesce(footprint.is_in_footprint, false) as is_in_footprint,
        basis_sums.national_total_gbp,
        basis_sums.host_basis_gbp,
        basis_sums.population_basis_gbp,
        basis_sums.national_estimated_gbp,
        basis_sums.host_estimated_gbp,
        basis_sums.population_estimated_gbp,
        basis_sums.host_missing_provider_months,
        basis_sums.missing_provider_months,
        icb_populations.population_financial_year,
        icb_populations.registered_population,
        icb_populations.needs_index,
        icb_populations.weighted_population,
        icb_allocations.allocation_gbp as published_allocation_gbp
    from basis_sums
    left join footprint
        on basis_sums.icb_code = footprint.icb_code
    left join icb_populations
        on
            basis_sums.icb_code = icb_populations.icb_code
            and basis_sums.financial_year = icb_populations.financial_year
    left join icb_allocations
        on
            basis_sums.icb_code = icb_allocations.icb_code
            and basis_sums.financial_year = icb_allocations.financial_year
            and basis_sums.funding_stream = icb_allocations.funding_stream
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
