{#- The ICBs in force in each financial year and whether each is in the footprint then: one row
    per ICB × financial year in which it is in force (part of the year after a merger within
    it: from_financial_month to to_financial_month). A mart that lists the footprint's ICBs
    for a year (a row for each, money or not) takes them here, so a dissolved ICB has no row
    after its valid_to and its successor none before its valid_from. docs/footprint.md. -#}
with

years_in_force as (
    select
        icb_code,
        financial_year,
        valid_from,
        valid_to,
        from_financial_month,
        to_financial_month
    from {{ ref('int_icb__years_in_force') }}
    where not is_superseded
),

footprint as (
    select
        icb_code,
        icb_name,
        current_icb_code,
        footprint_basis,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

final as (
    select
        years_in_force.icb_code,
        years_in_force.financial_year,
        footprint.icb_name,
        footprint.current_icb_code,
        years_in_force.valid_from,
        years_in_force.valid_to,
        years_in_force.from_financial_month,
        years_in_force.to_financial_month,
        footprint.footprint_basis,
        footprint.is_in_footprint
    from years_in_force
    inner join footprint
        on years_in_force.icb_code = footprint.icb_code
)

select * from final
