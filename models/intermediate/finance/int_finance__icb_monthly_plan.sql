{#- The ICB's plan by month: each published allocation (seed icb_allocations, per ICB ×
    financial year × funding stream) phased with seed plan_phasing, by cumulative difference so
    the twelve months add back to the allocation to the penny. -#}
with

icb_allocations as (
    select
        icb_code,
        financial_year,
        funding_stream,
        allocation_basis,
        allocation_gbp
    from {{ ref('stg_reference__icb_allocations') }}
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
    cross join cumulative_phasing
)

select * from final
