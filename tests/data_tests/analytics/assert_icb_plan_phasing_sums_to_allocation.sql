-- The monthly plan of fct_icb_spend_monthly adds back to the allocation: for every allocation
-- of an ICB in force (int_reference__icb_allocations_in_force: the seed's rows on the
-- boundaries in force, a successor's derived from its predecessors'), a row for each month it
-- is in force, the twelve months' plan_gbp summing to allocation_gbp to the penny (a year the
-- ICB is in force for only part of: fewer months, less), and annual_plan_gbp carrying the
-- allocation. Returns the allocations that do not.
with

allocations as (
    select
        icb_code,
        financial_year,
        funding_stream,
        allocation_gbp,
        in_force_to_month - in_force_from_month + 1 as months_in_force
    from {{ ref('int_reference__icb_allocations_in_force') }}
),

phased as (
    select
        icb_code,
        financial_year,
        funding_stream,
        count(*) as months,
        sum(plan_gbp) as plan_gbp,
        min(annual_plan_gbp) as annual_plan_gbp_min,
        max(annual_plan_gbp) as annual_plan_gbp_max
    from {{ ref('fct_icb_spend_monthly') }}
    group by icb_code, financial_year, funding_stream
),

final as (
    select
        allocations.icb_code,
        allocations.financial_year,
        allocations.funding_stream,
        allocations.allocation_gbp,
        phased.months,
        phased.plan_gbp,
        phased.annual_plan_gbp_min,
        phased.annual_plan_gbp_max
    from allocations
    left join phased
        on
            allocations.icb_code = phased.icb_code
            and allocations.financial_year = phased.financial_year
            and allocations.funding_stream = phased.funding_stream
    where
        phased.months is distinct from allocations.months_in_force
        or (allocations.months_in_force = 12 and phased.plan_gbp is distinct from allocations.allocation_gbp)
        or phased.annual_plan_gbp_min is distinct from allocations.allocation_gbp
        or phased.annual_plan_gbp_max is distinct from allocations.allocation_gbp
)

select * from final
