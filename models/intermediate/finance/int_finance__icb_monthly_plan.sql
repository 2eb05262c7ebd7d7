{#- The ICB's plan by month: each published allocation of an ICB in force (per ICB × financial
    year × funding stream, on the boundaries in force that year: a successor's own allocation,
    else its predecessors' added up, int_reference__icb_allocations_in_force) phased with seed
    plan_phasing, by cumulative difference so the twelve months add back to the allocation to
    the penny; only the months the ICB is in force (all twelve but for a merger within the
    year), so a dissolved ICB has no plan after its valid_to. -#}
with

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

cumulative_phasing as (
    select
        financial_month,
        phase_weight,
        cumulative_weight,
        previous_cumulative_weight
    from {{ ref('stg_reference__plan_phasing') }}
),

final as (
    select
        icb_allocations.icb_code,
        icb_allocations.financial_year,
        icb_allocations.funding_stream,
        icb_allocations.allocation_basis,
        icb_allocations.is_derived_from_predecessors,
        cumulative_phasing.financial_month,
        cumulative_phasing.phase_weight,
        cumulative_phasing.cumulative_weight,
        icb_allocations.allocation_gbp as annual_plan_gbp,
        cast(
            round(icb_allocations.allocation_gbp * cumulative_phasing.cumulative_weight, 2)
            - round(icb_allocations.allocation_gbp * cumulative_phasing.previous_cumulative_weight, 2)
            as decimal(38, 2)
        ) as plan_gbp
    from icb_allocations
    inner join cumulative_phasing
        on
            cumulative_phasing.financial_month
            between icb_allocations.in_force_from_month and icb_allocations.in_force_to_month
)

select * from final
