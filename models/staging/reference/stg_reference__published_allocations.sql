{#- NHS England's published specialised allocations (seed published_allocations, shipped
    empty; a reference update fills it), codes cleaned as in stg_reference__icb_allocations. -#}
with

published_allocations as (
    select
        icb_code,
        financial_year,
        funding_stream,
        allocation_basis,
        allocation_gbp,
        publication
    from {{ ref('published_allocations') }}
),

final as (
    select
        upper(trim(icb_code)) as icb_code,
        trim(financial_year) as financial_year,
        lower(trim(funding_stream)) as funding_stream,
        lower(trim(allocation_basis)) as allocation_basis,
        allocation_gbp,
        publication
    from published_allocations
)

select * from final
