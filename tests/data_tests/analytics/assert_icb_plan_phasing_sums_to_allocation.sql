-- The monthly plan of fct_icb_spend_monthly adds back to its source: for every ICB × year ×
-- stream, the months' plan_gbp sum to the annual figure of the source plan_source names, to
-- the penny, and annual_plan_gbp carries it: the allocation of an ICB in force
-- (int_reference__icb_allocations_in_force: the seed's rows on the boundaries in force, a
-- successor's derived from its predecessors'; illustrative), the seed published_allocations
-- (published_allocation), or the lines of the budget in force (icb_budget). An allocation has a
-- row for each month its ICB is in force (a year the ICB is in force for only part of: fewer
-- months, less). Returns the plans that do not, and any source row with no plan in the mart.
with

illustrative as (
    select
        icb_code,
        financial_year,
        funding_stream,
        'illustrative' as plan_source,
        allocation_gbp,
        in_force_to_month - in_force_from_month + 1 as months_in_force
    from {{ ref('int_reference__icb_allocations_in_force') }}
),

published as (
    select
        icb_code,
        financial_year,
        funding_stream,
        'published_allocation' as plan_source,
        allocation_gbp,
        12 as months_in_force
    from {{ ref('stg_reference__published_allocations') }}
),

budgeted as (
    select
        plan_icb_code as icb_code,
        financial_year,
        funding_stream,
        'icb_budget' as plan_source,
        sum(budget_gbp) as allocation_gbp,
        12 as months_in_force
    from {{ ref('int_budget__lines_in_force') }}
    group by plan_icb_code, financial_year, funding_stream
),

sources as (
    select * from illustrative
    union all
    select * from published
    union all
    select * from budgeted
),

phased as (
    select
        icb_code,
        financial_year,
        funding_stream,
        max(plan_source) as plan_source,
        count(*) as months,
        sum(plan_gbp) as plan_gbp,
        min(annual_plan_gbp) as annual_plan_gbp_min,
        max(annual_plan_gbp) as annual_plan_gbp_max
    from {{ ref('fct_icb_spend_monthly') }}
    group by icb_code, financial_year, funding_stream
),

-- the source each plan names (every budgeted, published or illustrative figure in force)
final as (
    select
        phased.icb_code,
        phased.financial_year,
        phased.funding_stream,
        phased.plan_source,
        sources.allocation_gbp,
        phased.months,
        phased.plan_gbp,
        phased.annual_plan_gbp_min,
        phased.annual_plan_gbp_max
    from phased
    left join sources
        on
            phased.icb_code = sources.icb_code
            and phased.financial_year = sources.financial_year
            and phased.funding_stream = sources.funding_stream
            and phased.plan_source = sources.plan_source
    where
        phased.plan_source is not null
        and (
            phased.months is distinct from sources.months_in_force
            or (sources.months_in_force = 12 and phased.plan_gbp is distinct from sources.allocation_gbp)
            or phased.annual_plan_gbp_min is distinct from sources.allocation_gbp
            or phased.annual_plan_gbp_max is distinct from sources.allocation_gbp
        )
    union all
    select
        illustrative.icb_code,
        illustrative.financial_year,
        illustrative.funding_stream,
        'no plan in the mart' as plan_source,
        illustrative.allocation_gbp,
        cast(null as bigint) as months,
        cast(null as decimal(38, 2)) as plan_gbp,
        cast(null as decimal(18, 2)) as annual_plan_gbp_min,
        cast(null as decimal(18, 2)) as annual_plan_gbp_max
    from illustrative
    left join phased
        on
            illustrative.icb_code = phased.icb_code
            and illustrative.financial_year = phased.financial_year
            and illustrative.funding_stream = phased.funding_stream
    where phased.plan_source is null
)

select * from final
