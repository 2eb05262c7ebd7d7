{#- Each ICB's annual allocation per funding stream (seed icb_allocations), its codes cleaned
    once for every model that reads it: the ICB code upper-case, the stream and the basis
    lower-case, all trimmed. -#}
with

icb_allocations as (
    select
        icb_code,
        financial_year,
        funding_stream,
        allocation_basis,
        allocation_gbp
    from {{ ref('icb_allocations') }}
),

final as (
    select
        upper(trim(icb_code)) as icb_code,
        trim(financial_year) as financial_year,
        lower(trim(funding_stream)) as funding_stream,
        lower(trim(allocation_basis)) as allocation_basis,
        allocation_gbp
    from icb_allocations
)

select * from final
