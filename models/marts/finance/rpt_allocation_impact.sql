{#- The impact of allocation changes: one row per ICB × financial year × funding stream, with the
    year's SLAM spend (Actual rows) shared out three ways — host basis (the provider's host
    ICB), population basis (the attributed ICB), needs basis (the national total shared by
    registered population × needs index, optionally held within a pace-of-change limit of the
    host basis) — and the gains and losses between them. Each basis sums to the same national
    total. Method and worked example: docs/marts/allocation-impact.md. -#}
{%- set pace_limit = var('pace_of_change_limit', none) -%}
with

fct_contract_activity as (
    select
        provider_code,
        attributed_icb_code,
        financial_year,
        funding_stream,
        price
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual'
),

dim_provider as (
    select
        provider_code,
        host_icb_code
    from {{ ref('dim_provider') }}
    where not is_unknown_member
),

icb_populations as (
    select
        icb_code,
        financial_year,
        registered_population,
        needs_index
    from {{ ref('icb_populations') }}
),

dim_icb as (
    select
        icb_code,
        icb_name,
        current_icb_code,
        valid_from
    from {{ ref('dim_icb') }}
),

spend as (
    select
        coalesce(dim_provider.host_icb_code, 'UNKNOWN') as host_icb_code,
        coalesce(fct_contract_activity.attributed_icb_code, 'UNKNOWN') as population_icb_code,
        fct_contract_activity.financial_year,
        fct_contract_activity.funding_stream,
        coalesce(fct_contract_activity.price, 0) as price
    from fct_contract_activity
    left join dim_provider
        on fct_contract_activity.provider_code = dim_provider.provider_code
),

national_totals as (
    select
        financial_year,
        funding_stream,
        cast(sum(price) as decimal(38, 2)) as national_total_gbp
    from spend
    group by financial_year, funding_stream
),

host_basis as (
    select
        host_icb_code as icb_code,
        financial_year,
        funding_stream,
        cast(sum(price) as decimal(38, 2)) as host_basis_gbp
    from spend
    group by host_icb_code, financial_year, funding_stream
),

population_basis as (
    select
        population_icb_code as icb_code,
        financial_year,
        funding_stream,
        cast(sum(price) as decimal(38, 2)) as population_basis_gbp
    from spend
    group by population_icb_code, financial_year, funding_stream
),

population_years as (
    select distinct financial_year
    from icb_populations
),

-- The population year used for each spend year: the same year, else the latest earlier one,
-- else the earliest there is.
population_year_used as (
    select
        national_totals.financial_year,
        coalesce(
            max(population_years.financial_year) filter (
                where population_years.financial_year <= national_totals.financial_year
            ),
            min(population_years.financial_year)
        ) as population_financial_year
    from national_totals
    cross join population_years
    group by national_totals.financial_year
),

needs_weights as (
    select
        population_year_used.financial_year,
        population_year_used.population_financial_year,
        upper(trim(icb_populations.icb_code)) as icb_code,
        icb_populations.registered_population,
        icb_populations.needs_index,
        icb_populations.registered_population * icb_populations.needs_index as needs_weight,
        icb_populations.registered_population * icb_populations.needs_index
        / sum(icb_populations.registered_population * icb_populations.needs_index) over (
            partition by population_year_used.financial_year
        ) as needs_share
    from population_year_used
    inner join icb_populations
        on population_year_used.population_financial_year = icb_populations.financial_year
),

icb_rows as (
    select
        icb_code,
        financial_year,
        funding_stream
    from host_basis
    union
    select
        icb_code,
        financial_year,
        funding_stream
    from population_basis
    union
    select
        needs_weights.icb_code,
        needs_weights.financial_year,
        national_totals.funding_stream
    from needs_weights
    inner join national_totals
        on needs_weights.financial_year = national_totals.financial_year
),

bases as (
    select
        icb_rows.icb_code,
        icb_rows.financial_year,
        icb_rows.funding_stream,
        national_totals.national_total_gbp,
        needs_weights.population_financial_year,
        needs_weights.registered_population,
        needs_weights.needs_index,
        coalesce(needs_weights.needs_share, 0) as needs_share,
        coalesce(host_basis.host_basis_gbp, 0) as host_basis_gbp,
        coalesce(population_basis.population_basis_gbp, 0) as population_basis_gbp,
        cast(national_totals.national_total_gbp as double) * coalesce(needs_weights.needs_share, 0)
            as needs_target_exact,
        cast({{ pace_limit if pace_limit is not none else 'null' }} as double) as pace_of_change_limit
    from icb_rows
    inner join national_totals
        on
            icb_rows.financial_year = national_totals.financial_year
            and icb_rows.funding_stream = national_totals.funding_stream
    left join needs_weights
        on
            icb_rows.icb_code = needs_weights.icb_code
            and icb_rows.financial_year = needs_weights.financial_year
    left join host_basis
        on
            icb_rows.icb_code = host_basis.icb_code
            and icb_rows.financial_year = host_basis.financial_year
            and icb_rows.funding_stream = host_basis.funding_stream
    left join population_basis
        on
            icb_rows.icb_code = population_basis.icb_code
            and icb_rows.financial_year = population_basis.financial_year
            and icb_rows.funding_stream = population_basis.funding_stream
),

-- Pace of change: each ICB's needs figure is held within [host × (1 − limit), host × (1 + limit)].
-- All needs targets are scaled by one factor chosen so that the held figures still add up
-- to the national total; the factor is found exactly because the sum is piecewise linear in it.
paced_bounds as (
    select
        icb_code,
        financial_year,
        funding_stream,
        national_total_gbp,
        needs_target_exact,
        greatest(cast(host_basis_gbp as double) * (1 - pace_of_change_limit), 0) as lower_bound,
        cast(host_basis_gbp as double) * (1 + pace_of_change_limit) as upper_bound
    from bases
    where icb_code != 'UNKNOWN' and pace_of_change_limit is not null
),

breakpoints as (
    select distinct
        financial_year,
        funding_stream,
        0.0 as scale_factor
    from paced_bounds
    union
    select
        financial_year,
        funding_stream,
        lower_bound / needs_target_exact as scale_factor
    from paced_bounds
    where needs_target_exact > 0
    union
    select
        financial_year,
        funding_stream,
        upper_bound / needs_target_exact as scale_factor
    from paced_bounds
    where needs_target_exact > 0
),

held_totals as (
    select
        breakpoints.financial_year,
        breakpoints.funding_stream,
        breakpoints.scale_factor,
        sum(
            least(
                greatest(breakpoints.scale_factor * paced_bounds.needs_target_exact, paced_bounds.lower_bound),
                paced_bounds.upper_bound
            )
        ) as held_total,
        max(paced_bounds.national_total_gbp) as national_total_gbp
    from breakpoints
    inner join paced_bounds
        on
            breakpoints.financial_year = paced_bounds.financial_year
            and breakpoints.funding_stream = paced_bounds.funding_stream
    group by breakpoints.financial_year, breakpoints.funding_stream, breakpoints.scale_factor
),

held_segments as (
    select
        financial_year,
        funding_stream,
        scale_factor,
        held_total,
        cast(national_total_gbp as double) as national_total,
        lead(scale_factor) over segment_order as next_scale_factor,
        lead(held_total) over segment_order as next_held_total
    from held_totals
    window segment_order as (partition by financial_year, funding_stream order by scale_factor)
),

-- The first segment whose ends straddle the national total (a half-penny tolerance for
-- floating-point sums), interpolated linearly.
solved_scale_factor as (
    select
        financial_year,
        funding_stream,
        min(
            case
                when abs(held_total - national_total) < 0.005 or next_held_total - held_total < 0.005
                    then scale_factor
                else
                    scale_factor
                    + (national_total - held_total) * (next_scale_factor - scale_factor)
                    / (next_held_total - held_total)
            end
        ) as scale_factor
    from held_segments
    where
        held_total <= national_total + 0.005
        and (next_held_total >= national_total - 0.005 or abs(held_total - national_total) < 0.005)
    group by financial_year, funding_stream
),

paced_raw as (
    select
        paced_bounds.icb_code,
        paced_bounds.financial_year,
        paced_bounds.funding_stream,
        paced_bounds.needs_target_exact,
        solved_scale_factor.scale_factor is null as is_pace_limit_relaxed,
        case
            when solved_scale_factor.scale_factor is not null
                then least(
                    greatest(
                        solved_scale_factor.scale_factor * paced_bounds.needs_target_exact,
                        paced_bounds.lower_bound
                    ),
                    paced_bounds.upper_bound
                )
        end as held_amount,
        least(greatest(paced_bounds.needs_target_exact, paced_bounds.lower_bound), paced_bounds.upper_bound)
            as clamped_target,
        cast(paced_bounds.national_total_gbp as double) as national_total
    from paced_bounds
    left join solved_scale_factor
        on
            paced_bounds.financial_year = solved_scale_factor.financial_year
            and paced_bounds.funding_stream = solved_scale_factor.funding_stream
),

-- When no factor can keep every ICB within the limit and the total (for example, spend at
-- providers with no known host), the limit is relaxed: each ICB takes its target held within
-- the limit, and what is left over (or short) is shared in proportion to the needs targets.
paced_exact as (
    select
        icb_code,
        financial_year,
        funding_stream,
        is_pace_limit_relaxed,
        case
            when not is_pace_limit_relaxed then held_amount
            else
                clamped_target
                + (national_total - sum(clamped_target) over year_stream)
                * needs_target_exact / nullif(sum(needs_target_exact) over year_stream, 0)
        end as needs_paced_exact
    from paced_raw
    window year_stream as (partition by financial_year, funding_stream)
),

-- Round to pennies; the few pence of rounding go to the ICB with the largest figure, so each
-- basis adds up to the national total exactly.
rounded as (
    select
        bases.icb_code,
        bases.financial_year,
        bases.funding_stream,
        bases.national_total_gbp,
        bases.population_financial_year,
        bases.registered_population,
        bases.needs_index,
        bases.needs_share,
        bases.host_basis_gbp,
        bases.population_basis_gbp,
        bases.pace_of_change_limit,
        coalesce(paced_exact.is_pace_limit_relaxed, false) as is_pace_limit_relaxed,
        cast(round(bases.needs_target_exact, 2) as decimal(38, 2)) as needs_target_rounded,
        cast(
            round(
                case
                    when bases.pace_of_change_limit is null then bases.needs_target_exact
                    else coalesce(paced_exact.needs_paced_exact, 0)
                end,
                2
            ) as decimal(38, 2)
        ) as needs_basis_rounded,
        row_number() over (
            partition by bases.financial_year, bases.funding_stream
            order by bases.needs_target_exact desc, bases.icb_code asc
        ) as target_rank,
        row_number() over (
            partition by bases.financial_year, bases.funding_stream
            order by coalesce(paced_exact.needs_paced_exact, bases.needs_target_exact) desc, bases.icb_code asc
        ) as basis_rank
    from bases
    left join paced_exact
        on
            bases.icb_code = paced_exact.icb_code
            and bases.financial_year = paced_exact.financial_year
            and bases.funding_stream = paced_exact.funding_stream
),

conserved as (
    select
        icb_code,
        financial_year,
        funding_stream,
        national_total_gbp,
        population_financial_year,
        registered_population,
        needs_index,
        needs_share,
        host_basis_gbp,
        population_basis_gbp,
        pace_of_change_limit,
        is_pace_limit_relaxed,
        needs_target_rounded
        + case
            when target_rank = 1
                then national_total_gbp - sum(needs_target_rounded) over year_stream
            else 0
        end as needs_target_gbp,
        needs_basis_rounded
        + case
            when basis_rank = 1
                then national_total_gbp - sum(needs_basis_rounded) over year_stream
            else 0
        end as needs_basis_gbp
    from rounded
    window year_stream as (partition by financial_year, funding_stream)
),

icb_names as (
    select
        icb_code,
        icb_name,
        current_icb_code,
        row_number() over (partition by icb_code order by valid_from desc nulls last) as name_rank
    from dim_icb
),

final as (
    select
        {{ surrogate_key(['conserved.icb_code', 'conserved.financial_year', 'conserved.funding_stream']) }}
            as allocation_impact_key,
        conserved.icb_code,
        coalesce(icb_names.icb_name, 'Unattributed / unknown ICB') as icb_name,
        coalesce(icb_names.current_icb_code, conserved.icb_code) as current_icb_code,
        conserved.financial_year,
        conserved.funding_stream,
        conserved.national_total_gbp,
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
        cast(
            round(
                100.0 * (conserved.population_basis_gbp - conserved.host_basis_gbp)
                / nullif(conserved.host_basis_gbp, 0),
                2
            ) as decimal(38, 2)
        ) as population_vs_host_pct,
        cast(
            round(
                100.0 * (conserved.needs_basis_gbp - conserved.host_basis_gbp)
                / nullif(conserved.host_basis_gbp, 0),
                2
            ) as decimal(38, 2)
        ) as needs_vs_host_pct,
        conserved.registered_population,
        conserved.needs_index,
        conserved.needs_share,
        conserved.population_financial_year,
        conserved.pace_of_change_limit,
        conserved.is_pace_limit_relaxed
    from conserved
    left join icb_names
        on
            conserved.icb_code = icb_names.icb_code
            and icb_names.name_rank = 1
)

select * from final
