{#- Each ICB's registered population and needs index for every financial year it is in force,
    on the boundaries in force that year: one row per ICB in force × financial year. The
    population year used is the same year, else the latest earlier year the reference has,
    else its earliest (one rule for every mart). The ICB's own reference row when it has one
    for that population year; else (a successor the reference has no row for yet) the sum of
    the rows of the codes that mean it that year (its predecessors, int_icb__years_in_force),
    with the needs index weighted by population so the needs-weighted population is theirs
    added up, and is_derived_from_predecessors = true. docs/footprint.md ("Mergers"). -#}
with

icb_populations as (
    select
        icb_code,
        financial_year,
        registered_population,
        needs_index
    from {{ ref('stg_reference__icb_populations') }}
),

years_in_force as (
    select
        code,
        financial_year,
        icb_code,
        is_superseded
    from {{ ref('int_icb__years_in_force') }}
),

population_years as (
    select distinct financial_year
    from icb_populations
),

-- The population year used for each financial year in force.
population_year_used as (
    select
        asked.financial_year,
        coalesce(
            max(population_years.financial_year) filter (
                where population_years.financial_year <= asked.financial_year
            ),
            min(population_years.financial_year)
        ) as population_financial_year
    from (select distinct financial_year from years_in_force) as asked
    cross join population_years
    group by asked.financial_year
),

-- Every reference row read onto the ICB its code means that year (own rows and predecessors').
contributions as (
    select
        years_in_force.icb_code,
        years_in_force.financial_year,
        population_year_used.population_financial_year,
        years_in_force.code as source_icb_code,
        years_in_force.is_superseded,
        icb_populations.registered_population,
        icb_populations.needs_index
    from years_in_force
    inner join population_year_used
        on years_in_force.financial_year = population_year_used.financial_year
    inner join icb_populations
        on
            years_in_force.code = icb_populations.icb_code
            and population_year_used.population_financial_year = icb_populations.financial_year
),

-- The ICB's own rows, else its predecessors' (macros/mergers/reference_rows_in_force.sql).
used as (
    {{ own_rows_else_predecessors('contributions', ['icb_code', 'financial_year']) }}
),

final as (
    select
        icb_code,
        financial_year,
        population_financial_year,
        cast(sum(registered_population) as integer) as registered_population,
        sum(cast(registered_population as double) * needs_index)
        / nullif(sum(cast(registered_population as double)), 0) as needs_index,
        sum(cast(registered_population as double) * needs_index) as weighted_population,
        {{ is_derived_from_predecessors() }} as is_derived_from_predecessors,
        {{ ordered_string_agg('source_icb_code', ',', 'source_icb_code') }} as source_icb_codes
    from used
    group by icb_code, financial_year, population_financial_year
)

select * from final
