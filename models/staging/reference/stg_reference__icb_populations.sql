{#- Each ICB's registered population and needs index per year (seed icb_populations), the
    ICB code cleaned once for every model that reads it. -#}
with

icb_populations as (
    select
        icb_code,
        financial_year,
        registered_population,
        needs_index
    from {{ ref('icb_populations') }}
),

final as (
    select
        upper(trim(icb_code)) as icb_code,
        trim(financial_year) as financial_year,
        registered_population,
        needs_index
    from icb_populations
)

select * from final
