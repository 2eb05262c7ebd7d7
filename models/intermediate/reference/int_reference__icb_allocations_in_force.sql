{#- Each ICB's published allocation per funding stream for every financial year it is in force,
    on the boundaries in force that year: one row per ICB in force × financial year × funding
    stream. The ICB's own reference row (seed icb_allocations) when it has one; else (a
    successor the reference has no row for yet) the sum of the rows of the codes that mean it
    that year (its predecessors, int_icb__years_in_force), is_derived_from_predecessors = true.
    in_force_from_month / in_force_to_month: the financial months of the year the ICB is in
    force (1 to 12 but for a merger within the year), the months a monthly plan phases it over.
    docs/footprint.md ("Mergers"). -#}
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

years_in_force as (
    select
        code,
        financial_year,
        icb_code,
        is_superseded
    from {{ ref('int_icb__years_in_force') }}
),

months_in_force as (
    select
        icb_code,
        financial_year,
        min(from_financial_month) as in_force_from_month,
        max(to_financial_month) as in_force_to_month
    from {{ ref('int_icb__years_in_force') }}
    where not is_superseded
    group by icb_code, financial_year
),

-- Every reference row read onto the ICB its code means that year (own rows and predecessors').
contributions as (
    select
        years_in_force.icb_code,
        icb_allocations.financial_year,
        icb_allocations.funding_stream,
        years_in_force.code as source_icb_code,
        years_in_force.is_superseded,
        icb_allocations.allocation_basis,
        icb_allocations.allocation_gbp
    from icb_allocations
    inner join years_in_force
        on
            icb_allocations.icb_code = years_in_force.code
            and icb_allocations.financial_year = years_in_force.financial_year
),

-- The ICB's own rows, else its predecessors' (macros/mergers/reference_rows_in_force.sql).
used as (
    {{ own_rows_else_predecessors('contributions', ['icb_code', 'financial_year', 'funding_stream']) }}
),

summed as (
    select
        icb_code,
        financial_year,
        funding_stream,
        -- the predecessors' basis when they agree (they do in the seed), else 'mixed'
        case
            when min(allocation_basis) = max(allocation_basis) then min(allocation_basis) else 'mixed'
        end as allocation_basis,
        cast(sum(allocation_gbp) as decimal(18, 2)) as allocation_gbp,
        {{ is_derived_from_predecessors() }} as is_derived_from_predecessors,
        {{ ordered_string_agg('source_icb_code', ',', 'source_icb_code') }} as source_icb_codes
    from used
    group by icb_code, financial_year, funding_stream
),

final as (
    select
        summed.icb_code,
        summed.financial_year,
        summed.funding_stream,
        summed.allocation_basis,
        summed.allocation_gbp,
        summed.is_derived_from_predecessors,
        summed.source_icb_codes,
        months_in_force.in_force_from_month,
        months_in_force.in_force_to_month
    from summed
    inner join months_in_force
        on
            summed.icb_code = months_in_force.icb_code
            and summed.financial_year = months_in_force.financial_year
)

select * from final
