{#- The impact of allocation changes, true to the footprint: one row per ICB × financial year ×
    funding stream, with the year's SLAM spend (Actual rows, and the spend mart's estimates of
    the provider-months not sent, stated on each row with is_complete) by host basis (the provider's host
    ICB), population basis (the attributed ICB) and needs basis (the footprint's
    population-basis total shared among the footprint's ICBs by their published allocations or
    needs-weighted population, optionally moved from the population basis within a
    pace-of-change limit), and the gains and losses between them. Money is conserved within the
    footprint and over all rows. Stages: int_finance__allocation_bases,
    int_finance__allocation_pace_solution. Method: docs/marts/allocation-impact.md. -#}
{%- set pace_limit = var('pace_of_change_limit', none) -%}
with

allocation_bases as (
    select
        icb_code,
        financial_year,
        funding_stream,
        is_in_footprint,
        national_total_gbp,
        footprint_total_gbp,
        host_basis_gbp,
        population_basis_gbp,
        national_estimated_gbp,
        footprint_estimated_gbp,
        host_estimated_gbp,
        population_estimated_gbp,
        host_missing_provider_months,
        missing_provider_months,
        population_financial_year,
        registered_population,
        needs_index,
        published_allocation_gbp,
        needs_target_source,
        needs_share,
        needs_target_exact
    from {{ ref('int_finance__allocation_bases') }}
),

pace_solution as (
    select
        financial_year,
        funding_stream,
        pace_of_change_limit,
        scale_factor
    from {{ ref('int_finance__allocation_pace_solution') }}
),

footprint as (
    select
        icb_code,
        icb_name,
        current_icb_code
    from {{ ref('int_reference__footprint') }}
),

paced_raw as (
    select
        allocation_bases.*,
        coalesce(
            allocation_bases.is_in_footprint
            and pace_solution.pace_of_change_limit is not null
            and pace_solution.scale_factor is null,
            false
        ) as is_pace_limit_relaxed,
        {{ pace_lower_bound('allocation_bases.population_basis_gbp', 'pace_solution.pace_of_change_limit') }}
            as lower_bound,
        {{ pace_upper_bound('allocation_bases.population_basis_gbp', 'pace_solution.pace_of_change_limit') }}
            as upper_bound,
        pace_solution.scale_factor
    from allocation_bases
    left join pace_solution
        on
            allocation_bases.financial_year = pace_solution.financial_year
            and allocation_bases.funding_stream = pace_solution.funding_stream
),

-- Held within the limit by the solved factor; when no factor can keep every ICB within the
-- limit and conserve the footprint total, each takes its target held within the limit and what
-- is left over (or short) is shared in proportion to the needs targets.
paced_exact as (
    select
        paced_raw.*,
        case
            when
                not paced_raw.is_in_footprint or {{ 'true' if pace_limit is none else 'false' }}
                then paced_raw.needs_target_exact
            when not paced_raw.is_pace_limit_relaxed
                then
                    {{ held_within_pace(
                        'paced_raw.scale_factor * paced_raw.needs_target_exact',
                        'paced_raw.lower_bound', 'paced_raw.upper_bound'
                    ) }}
            else
                {{ held_within_pace('paced_raw.needs_target_exact', 'paced_raw.lower_bound', 'paced_raw.upper_bound') }}
                + (
                    cast(paced_raw.footprint_total_gbp as double)
                    - sum(
                        {{ held_within_pace(
                            'paced_raw.needs_target_exact', 'paced_raw.lower_bound', 'paced_raw.upper_bound'
                        ) }}
                    ) over footprint_year_stream
                )
                * paced_raw.needs_target_exact / nullif(sum(paced_raw.needs_target_exact) over footprint_year_stream, 0)
        end as needs_basis_exact
    from paced_raw
    window footprint_year_stream as (partition by financial_year, funding_stream, is_in_footprint)
),

-- Round to pennies; the few pence of rounding go to the footprint ICB with the largest figure,
-- so each basis adds up to the footprint total exactly. Outside the footprint the needs figures
-- are the population basis itself, taken as the exact decimal (through a double, pounds beyond
-- about £90 trillion would lose pennies and break conservation).
rounded as (
    select
        paced_exact.*,
        case
            when not paced_exact.is_in_footprint then cast(paced_exact.population_basis_gbp as decimal(38, 2))
            else {{ round_decimal('paced_exact.needs_target_exact') }}
        end as needs_target_rounded,
        case
            when not paced_exact.is_in_footprint then cast(paced_exact.population_basis_gbp as decimal(38, 2))
            else {{ round_decimal('paced_exact.needs_basis_exact') }}
        end as needs_basis_rounded,
        row_number() over (
            partition by paced_exact.financial_year, paced_exact.funding_stream, paced_exact.is_in_footprint
            order by paced_exact.needs_target_exact desc, paced_exact.icb_code asc
        ) as target_rank,
        row_number() over (
            partition by paced_exact.financial_year, paced_exact.funding_stream, paced_exact.is_in_footprint
            order by paced_exact.needs_basis_exact desc, paced_exact.icb_code asc
        ) as basis_rank
    from paced_exact
),

conserved as (
    select
        rounded.*,
        rounded.needs_target_rounded
        + case
            when rounded.is_in_footprint and rounded.target_rank = 1
                then rounded.footprint_total_gbp - sum(rounded.needs_target_rounded) over footprint_year_stream
            else 0
        end as needs_target_gbp,
        rounded.needs_basis_rounded
        + case
            when rounded.is_in_footprint and rounded.basis_rank = 1
                then rounded.footprint_total_gbp - sum(rounded.needs_basis_rounded) over footprint_year_stream
            else 0
        end as needs_basis_gbp
    from rounded
    window footprint_year_stream as (partition by financial_year, funding_stream, is_in_footprint)
),

final as (
    select
        {{ surrogate_key(['conserved.icb_code', 'conserved.financial_year', 'conserved.funding_stream']) }}
            as allocation_impact_key,
        conserved.icb_code,
        coalesce(footprint.icb_name, 'Unattributed / unknown ICB') as icb_name,
        coalesce(footprint.current_icb_code, conserved.icb_code) as current_icb_code,
        conserved.is_in_footprint,
        conserved.financial_year,
        conserved.funding_stream,
        conserved.national_total_gbp,
        cast(conserved.footprint_total_gbp as decimal(38, 2)) as footprint_total_gbp,
        cast(conserved.host_basis_gbp as decimal(38, 2)) as host_basis_gbp,
        cast(conserved.population_basis_gbp as decimal(38, 2)) as population_basis_gbp,
        cast(conserved.needs_target_gbp as decimal(38, 2)) as needs_target_gbp,
        cast(conserved.needs_basis_gbp as decimal(38, 2)) as needs_basis_gbp,
        cast(conserved.population_basis_gbp - conserved.host_basis_gbp as decimal(38, 2))
            as population_vs_host_gbp,
        cast(conserved.needs_basis_gbp - conserved.population_basis_gbp as decimal(38, 2))
            as needs_vs_population_gbp,
        cast(conserved.needs_basis_gbp - conserved.host_basis_gbp as decimal(38, 2))
            as needs_vs_host_gbp,
        {{ pct_variance('conserved.population_basis_gbp', 'conserved.host_basis_gbp') }} as population_vs_host_pct,
        {{ pct_variance('conserved.needs_basis_gbp', 'conserved.host_basis_gbp') }} as needs_vs_host_pct,
        {{ pct_variance('conserved.needs_basis_gbp', 'conserved.population_basis_gbp') }} as needs_vs_population_pct,
        conserved.missing_provider_months = 0 and conserved.host_missing_provider_months = 0 as is_complete,
        conserved.missing_provider_months,
        conserved.host_missing_provider_months,
        cast(conserved.national_estimated_gbp as decimal(38, 2)) as national_estimated_gbp,
        cast(conserved.footprint_estimated_gbp as decimal(38, 2)) as footprint_estimated_gbp,
        cast(conserved.host_estimated_gbp as decimal(38, 2)) as host_estimated_gbp,
        cast(conserved.population_estimated_gbp as decimal(38, 2)) as population_estimated_gbp,
        conserved.needs_target_source,
        conserved.published_allocation_gbp,
        conserved.registered_population,
        conserved.needs_index,
        conserved.needs_share,
        conserved.population_financial_year,
        cast({{ pace_limit if pace_limit is not none else 'null' }} as double) as pace_of_change_limit,
        conserved.is_pace_limit_relaxed
    from conserved
    left join footprint
        on conserved.icb_code = footprint.icb_code
)

select * from final
