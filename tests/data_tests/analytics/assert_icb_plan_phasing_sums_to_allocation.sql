-- The monthly plan of fct_icb_spend_monthly adds back to the allocation: for every row of seed
-- icb_allocations, the twelve months' plan_gbp sum to allocation_gbp to the penny, and
-- annual_plan_gbp carries the allocation. Returns the allocations that do not.
with

allocations as (
    select
        icb_code,
        financial_year,
        funding_stream,
        allocation_gbp
    from {{ ref('stg_reference__icb_allocations') }}
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
        phased.months is distinct from 12
        or phased.plan_gbp is distinct from allocations.allocation_gbp
        or phased.annual_plan_gbp_min is distinct from allocations.allocation_gbp
        or phased.annual_plan_gbp_max is distinct from allocations.allocation_gbp
)

select * from final
