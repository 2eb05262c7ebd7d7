{#- The annual allocation a plan falls back on: one row per ICB × financial year × funding
    stream with an allocation, NHS England's published allocation (seed published_allocations,
    a reference update; all twelve months) when there is one, else the shipped illustrative
    seed icb_allocations on the boundaries in force that year
    (int_reference__icb_allocations_in_force: a successor's own, else its predecessors' added
    up, in force over its months only). plan_source says which. A step of
    int_finance__icb_monthly_plan (docs/decisions/0019). -#}
with

published_allocations as (
    select
        icb_code,
        financial_year,
        funding_stream,
        allocation_basis,
        allocation_gbp
    from {{ ref('stg_reference__published_allocations') }}
),

icb_allocations as (
    select
        icb_code,
        financial_year,
        funding_stream,
        allocation_basis,
        allocation_gbp,
        is_derived_from_predecessors,
        in_force_from_month,
        in_force_to_month
    from {{ ref('int_reference__icb_allocations_in_force') }}
),

-- one annual figure per ICB × year × stream not budgeted: published first, else illustrative
final as (
    select
        icb_code,
        financial_year,
        funding_stream,
        allocation_basis,
        allocation_gbp,
        'published_allocation' as plan_source,
        false as is_derived_from_predecessors,
        1 as in_force_from_month,
        12 as in_force_to_month
    from published_allocations
    union all
    select
        icb_allocations.icb_code,
        icb_allocations.financial_year,
        icb_allocations.funding_stream,
        icb_allocations.allocation_basis,
        icb_allocations.allocation_gbp,
        'illustrative' as plan_source,
        icb_allocations.is_derived_from_predecessors,
        icb_allocations.in_force_from_month,
        icb_allocations.in_force_to_month
    from icb_allocations
    left join published_allocations
        on
            icb_allocations.icb_code = published_allocations.icb_code
            and icb_allocations.financial_year = published_allocations.financial_year
            and icb_allocations.funding_stream = published_allocations.funding_stream
    where published_allocations.icb_code is null
)

select * from final
