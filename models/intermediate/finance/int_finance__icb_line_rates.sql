{#- Spend and activity per ICB × service line × financial year, with the ICB's needs-weighted
    population on the boundaries in force that year (int_reference__icb_populations_in_force:
    registered population × needs index of the same year, else the latest earlier, else the
    earliest; a successor without rows of its own takes its predecessors'), for the rates per
    head of rpt_icb_variation. Rows: every footprint ICB in force that year × every line with SLAM Actual activity for a footprint ICB that year
    (an ICB with none has a real rate of 0), plus the ICBs outside the footprint with activity.
    Specialised lines only (the reference's service_category is not not_specialised or
    unattributable; unknown codes are left out). -#}
with

fct_contract_activity as (
    select
        attributed_icb_code,
        service_line_code,
        funding_stream,
        financial_year,
        financial_month,
        activity,
        price
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual' and attributed_icb_code is not null and service_line_code is not null
),

icb_populations as (
    select
        icb_code,
        financial_year,
        population_financial_year,
        registered_population,
        needs_index,
        weighted_population
    from {{ ref('int_reference__icb_populations_in_force') }}
),

footprint as (
    select
        icb_code,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

footprint_years as (
    select
        icb_code,
        financial_year
    from {{ ref('int_reference__footprint_years') }}
    where is_in_footprint
),

icbs as (
    select
        icb_code,
        region_code,
        row_number() over (partition by icb_code order by valid_from desc nulls last) as row_rank
    from {{ ref('stg_reference__icbs') }}
),

-- Specialised lines only: not 99999999 (not specialised) nor NCBPSXXX (unattributable).
service_lines as (
    select
        service_line_code,
        npoc_code,
        crg_name
    from {{ ref('stg_reference__service_lines') }}
    where service_category not in ('not_specialised', 'unattributable')
),

npoc as (
    select
        upper(trim(npoc_code)) as npoc_code,
        npoc_name
    from {{ ref('npoc') }}
),

icb_lines as (
    select
        fct_contract_activity.attributed_icb_code as icb_code,
        fct_contract_activity.service_line_code,
        fct_contract_activity.financial_year,
        max(fct_contract_activity.funding_stream) as funding_stream,
        cast(coalesce(sum(fct_contract_activity.price), 0) as decimal(38, 2)) as spend_gbp,
        cast(coalesce(sum(fct_contract_activity.activity), 0) as decimal(38, 3)) as activity
    from fct_contract_activity
    inner join service_lines
        on fct_contract_activity.service_line_code = service_lines.service_line_code
    group by
        fct_contract_activity.attributed_icb_code,
        fct_contract_activity.service_line_code,
        fct_contract_activity.financial_year
),

footprint_lines as (
    select distinct
        icb_lines.service_line_code,
        icb_lines.financial_year,
        icb_lines.funding_stream
    from icb_lines
    inner join footprint
        on icb_lines.icb_code = footprint.icb_code
    where footprint.is_in_footprint
),

spine as (
    select
        footprint_years.icb_code,
        footprint_lines.service_line_code,
        footprint_lines.financial_year,
        footprint_lines.funding_stream
    from footprint_years
    inner join footprint_lines
        on footprint_years.financial_year = footprint_lines.financial_year
    union
    select
        icb_code,
        service_line_code,
        financial_year,
        funding_stream
    from icb_lines
),

final as (
    select
        spine.icb_code,
        spine.service_line_code,
        spine.financial_year,
        spine.funding_stream,
        service_lines.npoc_code,
        npoc.npoc_name,
        service_lines.crg_name,
        icbs.region_code,
        coalesce(footprint.is_in_footprint, false) as is_in_footprint,
        icb_populations.population_financial_year,
        icb_populations.registered_population,
        icb_populations.needs_index,
        icb_populations.weighted_population,
        coalesce(icb_lines.spend_gbp, 0) as spend_gbp,
        coalesce(icb_lines.activity, 0) as activity
    from spine
    left join icb_lines
        on
            spine.icb_code = icb_lines.icb_code
            and spine.service_line_code = icb_lines.service_line_code
            and spine.financial_year = icb_lines.financial_year
    left join footprint
        on spine.icb_code = footprint.icb_code
    left join icbs
        on
            spine.icb_code = icbs.icb_code
            and icbs.row_rank = 1
    left join service_lines
        on spine.service_line_code = service_lines.service_line_code
    left join npoc
        on service_lines.npoc_code = npoc.npoc_code
    left join icb_populations
        on
            spine.icb_code = icb_populations.icb_code
            and spine.financial_year = icb_populations.financial_year
)

select * from final
