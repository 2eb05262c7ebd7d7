{#- Spend and activity per ICB × service line × financial year, with the ICB's needs-weighted
    population on the boundaries in force that year (int_reference__icb_populations_in_force:
    registered population × needs index of the same year, else the latest earlier, else the
    earliest; a successor without rows of its own takes its predecessors'), for the rates per
    head of rpt_icb_variation. Rows: every footprint ICB in force that year × every line with SLAM Actual activity for a footprint ICB that year
    (an ICB with none has a real rate of 0), plus the ICBs outside the footprint with activity.
    Specialised lines only (the reference's service_category is not not_specialised or
    unattributable; unknown codes are left out). Completeness (issue 24): the estimates of the
    months a provider has not sent (int_finance__slam_flow_estimates, per provider × ICB ×
    funding stream) are shared among the flow's lines in proportion to each line's actual
    (for the run-rate method that is the line's own run rate); is_complete says whether every
    expected provider-month of the ICB's flows in the line's funding stream was reported;
    months_covered and year_fraction (cumulative plan phasing to the year's latest stated
    month) say how much of the year the figures are. Its steps: the rows (int_finance__icb_line_spine),
    the actuals (int_finance__icb_line_actuals), the estimates shared among the lines
    (int_finance__icb_line_estimates), the completeness (int_finance__icb_stream_completeness)
    and the year's coverage (int_slam__year_coverage). -#}
with

spine as (
    select
        icb_code,
        service_line_code,
        financial_year,
        funding_stream
    from {{ ref('int_finance__icb_line_spine') }}
),

icb_lines as (
    select
        icb_code,
        service_line_code,
        financial_year,
        spend_gbp,
        activity
    from {{ ref('int_finance__icb_line_actuals') }}
),

icb_line_estimates as (
    select
        icb_code,
        service_line_code,
        financial_year,
        estimated_spend_gbp,
        estimated_activity
    from {{ ref('int_finance__icb_line_estimates') }}
),

icb_stream_completeness as (
    select
        icb_code,
        funding_stream,
        financial_year,
        missing_provider_months
    from {{ ref('int_finance__icb_stream_completeness') }}
),

year_coverage as (
    select
        financial_year,
        months_covered,
        year_fraction
    from {{ ref('int_slam__year_coverage') }}
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

icbs as (
    select
        icb_code,
        region_code,
        row_number() over (partition by icb_code order by valid_from desc nulls last) as row_rank
    from {{ ref('stg_reference__icbs') }}
),

service_lines as (
    select
        service_line_code,
        npoc_code,
        npoc_name,
        crg_name
    from {{ ref('int_reference__specialised_service_lines') }}
),

final as (
    select
        spine.icb_code,
        spine.service_line_code,
        spine.financial_year,
        spine.funding_stream,
        service_lines.npoc_code,
        service_lines.npoc_name,
        service_lines.crg_name,
        icbs.region_code,
        coalesce(footprint.is_in_footprint, false) as is_in_footprint,
        icb_populations.population_financial_year,
        icb_populations.registered_population,
        icb_populations.needs_index,
        icb_populations.weighted_population,
        coalesce(icb_lines.spend_gbp, 0) as spend_gbp,
        coalesce(icb_lines.activity, 0) as activity,
        coalesce(icb_line_estimates.estimated_spend_gbp, 0) as estimated_spend_gbp,
        coalesce(icb_line_estimates.estimated_activity, 0) as estimated_activity,
        coalesce(icb_stream_completeness.missing_provider_months, 0) as missing_provider_months,
        coalesce(icb_stream_completeness.missing_provider_months, 0) = 0 as is_complete,
        year_coverage.months_covered,
        year_coverage.year_fraction
    from spine
    left join icb_lines
        on
            spine.icb_code = icb_lines.icb_code
            and spine.service_line_code = icb_lines.service_line_code
            and spine.financial_year = icb_lines.financial_year
    left join icb_line_estimates
        on
            spine.icb_code = icb_line_estimates.icb_code
            and spine.service_line_code = icb_line_estimates.service_line_code
            and spine.financial_year = icb_line_estimates.financial_year
    left join icb_stream_completeness
        on
            spine.icb_code = icb_stream_completeness.icb_code
            and spine.funding_stream = icb_stream_completeness.funding_stream
            and spine.financial_year = icb_stream_completeness.financial_year
    left join year_coverage
        on spine.financial_year = year_coverage.financial_year
    left join footprint
        on spine.icb_code = footprint.icb_code
    left join icbs
        on
            spine.icb_code = icbs.icb_code
            and icbs.row_rank = 1
    left join service_lines
        on spine.service_line_code = service_lines.service_line_code
    left join icb_populations
        on
            spine.icb_code = icb_populations.icb_code
            and spine.financial_year = icb_populations.financial_year
)

select * from final
