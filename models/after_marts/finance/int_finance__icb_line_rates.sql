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
    month) say how much of the year the figures are. -#}
with

fct_contract_activity as (
    select
        provider_code,
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

flow_estimates as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        is_submitted,
        actual_gbp,
        actual_activity,
        estimated_gbp,
        estimated_activity
    from {{ ref('int_finance__slam_flow_estimates') }}
),

submissions as (
    select
        financial_year,
        financial_month
    from {{ ref('int_slam__expected_submissions') }}
),

plan_phasing as (
    select
        financial_month,
        cumulative_weight
    from {{ ref('stg_reference__plan_phasing') }}
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

-- Each flow's year: its actuals and the estimates of its missing months.
flow_years as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        sum(actual_gbp) as flow_actual_gbp,
        sum(actual_activity) as flow_actual_activity,
        sum(estimated_gbp) as flow_estimated_gbp,
        sum(estimated_activity) as flow_estimated_activity
    from flow_estimates
    group by provider_code, icb_code, funding_stream, financial_year
),

provider_icb_lines as (
    select
        fct_contract_activity.provider_code,
        fct_contract_activity.attributed_icb_code as icb_code,
        fct_contract_activity.service_line_code,
        fct_contract_activity.funding_stream,
        fct_contract_activity.financial_year,
        sum(fct_contract_activity.price) as line_actual_gbp,
        sum(fct_contract_activity.activity) as line_actual_activity
    from fct_contract_activity
    inner join service_lines
        on fct_contract_activity.service_line_code = service_lines.service_line_code
    group by
        fct_contract_activity.provider_code,
        fct_contract_activity.attributed_icb_code,
        fct_contract_activity.service_line_code,
        fct_contract_activity.funding_stream,
        fct_contract_activity.financial_year
),

-- The flow's estimate shared by the line's part of the flow's actual.
icb_line_estimates as (
    select
        provider_icb_lines.icb_code,
        provider_icb_lines.service_line_code,
        provider_icb_lines.financial_year,
        cast(coalesce(sum({{ round_quotient(
            'provider_icb_lines.line_actual_gbp * flow_years.flow_estimated_gbp', 'flow_years.flow_actual_gbp'
        ) }}), 0) as decimal(38, 2)) as estimated_spend_gbp,
        cast(coalesce(sum({{ round_quotient(
            'provider_icb_lines.line_actual_activity * flow_years.flow_estimated_activity',
            'flow_years.flow_actual_activity', 3
        ) }}), 0) as decimal(38, 3)) as estimated_activity
    from provider_icb_lines
    inner join flow_years
        on
            provider_icb_lines.provider_code = flow_years.provider_code
            and provider_icb_lines.icb_code = flow_years.icb_code
            and provider_icb_lines.funding_stream = flow_years.funding_stream
            and provider_icb_lines.financial_year = flow_years.financial_year
    group by provider_icb_lines.icb_code, provider_icb_lines.service_line_code, provider_icb_lines.financial_year
),

icb_stream_completeness as (
    select
        icb_code,
        funding_stream,
        financial_year,
        count(*) filter (where not is_submitted) as missing_provider_months
    from flow_estimates
    group by icb_code, funding_stream, financial_year
),

year_coverage as (
    select
        submissions.financial_year,
        max(submissions.financial_month) as months_covered
    from submissions
    group by submissions.financial_year
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
        coalesce(icb_lines.activity, 0) as activity,
        coalesce(icb_line_estimates.estimated_spend_gbp, 0) as estimated_spend_gbp,
        coalesce(icb_line_estimates.estimated_activity, 0) as estimated_activity,
        coalesce(icb_stream_completeness.missing_provider_months, 0) as missing_provider_months,
        coalesce(icb_stream_completeness.missing_provider_months, 0) = 0 as is_complete,
        year_coverage.months_covered,
        plan_phasing.cumulative_weight as year_fraction
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
    left join plan_phasing
        on year_coverage.months_covered = plan_phasing.financial_month
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
