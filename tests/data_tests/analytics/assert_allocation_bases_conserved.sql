-- Money is conserved in rpt_allocation_impact: for every financial year and funding stream, the
-- host, population and needs bases (before and after any pace-of-change limit) each add up to
-- the national total, and the national total is the SLAM Actual pounds of fct_contract_activity
-- with the estimates of the provider-months not sent (national_estimated_gbp, which each basis's
-- estimates add up to);
-- within the footprint, the needs target and needs basis add up to the footprint total, which is
-- the footprint ICBs' population basis. Returns the years and streams where any of them differ.
with

slam_totals as (
    select
        financial_year,
        funding_stream,
        coalesce(sum(price), 0) as slam_gbp
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual'
    group by financial_year, funding_stream
),

basis_totals as (
    select
        financial_year,
        funding_stream,
        max(national_total_gbp) as national_total_gbp,
        min(national_total_gbp) as national_total_gbp_min,
        max(national_estimated_gbp) as national_estimated_gbp,
        sum(host_estimated_gbp) as host_estimated_gbp,
        sum(population_estimated_gbp) as population_estimated_gbp,
        sum(host_basis_gbp) as host_basis_gbp,
        sum(population_basis_gbp) as population_basis_gbp,
        sum(needs_target_gbp) as needs_target_gbp,
        sum(needs_basis_gbp) as needs_basis_gbp,
        max(footprint_total_gbp) as footprint_total_gbp,
        coalesce(sum(population_basis_gbp) filter (where is_in_footprint), 0) as footprint_population_gbp,
        coalesce(sum(needs_target_gbp) filter (where is_in_footprint), 0) as footprint_needs_target_gbp,
        coalesce(sum(needs_basis_gbp) filter (where is_in_footprint), 0) as footprint_needs_basis_gbp
    from {{ ref('rpt_allocation_impact') }}
    group by financial_year, funding_stream
),

final as (
    select
        coalesce(slam_totals.financial_year, basis_totals.financial_year) as financial_year,
        coalesce(slam_totals.funding_stream, basis_totals.funding_stream) as funding_stream,
        slam_totals.slam_gbp,
        basis_totals.national_total_gbp,
        basis_totals.national_estimated_gbp,
        basis_totals.host_basis_gbp,
        basis_totals.population_basis_gbp,
        basis_totals.needs_target_gbp,
        basis_totals.needs_basis_gbp,
        basis_totals.footprint_total_gbp,
        basis_totals.footprint_needs_target_gbp,
        basis_totals.footprint_needs_basis_gbp
    from slam_totals
    full outer join basis_totals
        on
            slam_totals.financial_year = basis_totals.financial_year
            and slam_totals.funding_stream = basis_totals.funding_stream
    where
        coalesce(slam_totals.slam_gbp, 0)
        is distinct from basis_totals.national_total_gbp - basis_totals.national_estimated_gbp
        or basis_totals.host_estimated_gbp != basis_totals.national_estimated_gbp
        or basis_totals.population_estimated_gbp != basis_totals.national_estimated_gbp
        or basis_totals.national_total_gbp != basis_totals.national_total_gbp_min
        or basis_totals.host_basis_gbp != basis_totals.national_total_gbp
        or basis_totals.population_basis_gbp != basis_totals.national_total_gbp
        or basis_totals.needs_target_gbp != basis_totals.national_total_gbp
        or basis_totals.needs_basis_gbp != basis_totals.national_total_gbp
        or coalesce(basis_totals.footprint_total_gbp, 0) != basis_totals.footprint_population_gbp
        or basis_totals.footprint_needs_target_gbp != basis_totals.footprint_population_gbp
        or basis_totals.footprint_needs_basis_gbp != basis_totals.footprint_population_gbp
)

select * from final
