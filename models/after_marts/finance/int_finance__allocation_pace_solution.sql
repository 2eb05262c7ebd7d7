{#- The pace-of-change solver: per financial year × funding stream, the one factor by which every
    footprint ICB's needs target is scaled so that, each held within its population basis ×
    (1 ± limit) (where it starts: delegated money already follows the patient), the held figures
    add up to the footprint total. The held sum is piecewise linear in the factor, so the factor
    is found exactly between two breakpoints. No row when dbt var pace_of_change_limit is null;
    scale_factor NULL when no factor can (the mart then relaxes the limit, as documented in
    docs/marts/allocation-impact.md). -#}
{%- set pace_limit = var('pace_of_change_limit', none) -%}
{%- set limit_sql = pace_limit if pace_limit is not none else 'null' -%}
with

allocation_bases as (
    select
        icb_code,
        financial_year,
        funding_stream,
        footprint_total_gbp,
        population_basis_gbp,
        needs_target_exact
    from {{ ref('int_finance__allocation_bases') }}
    where is_in_footprint
),

paced_bounds as (
    select
        icb_code,
        financial_year,
        funding_stream,
        cast(footprint_total_gbp as double) as footprint_total,
        needs_target_exact,
        {{ pace_lower_bound('population_basis_gbp', limit_sql) }} as lower_bound,
        {{ pace_upper_bound('population_basis_gbp', limit_sql) }} as upper_bound
    from allocation_bases
    where {{ 'true' if pace_limit is not none else 'false' }}
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
            {{ held_within_pace(
                'breakpoints.scale_factor * paced_bounds.needs_target_exact',
                'paced_bounds.lower_bound', 'paced_bounds.upper_bound'
            ) }}
        ) as held_total,
        max(paced_bounds.footprint_total) as footprint_total
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
        footprint_total,
        lead(scale_factor) over segment_order as next_scale_factor,
        lead(held_total) over segment_order as next_held_total
    from held_totals
    window segment_order as (partition by financial_year, funding_stream order by scale_factor)
),

-- The first segment whose ends straddle the footprint total (a half-penny tolerance for
-- floating-point sums), interpolated linearly.
solved as (
    select
        financial_year,
        funding_stream,
        min(
            case
                when abs(held_total - footprint_total) < 0.005 or next_held_total - held_total < 0.005
                    then scale_factor
                else
                    scale_factor
                    + (footprint_total - held_total) * (next_scale_factor - scale_factor)
                    / (next_held_total - held_total)
            end
        ) as scale_factor
    from held_segments
    where
        held_total <= footprint_total + 0.005
        and (next_held_total >= footprint_total - 0.005 or abs(held_total - footprint_total) < 0.005)
    group by financial_year, funding_stream
),

year_streams as (
    select distinct
        financial_year,
        funding_stream
    from paced_bounds
),

final as (
    select
        year_streams.financial_year,
        year_streams.funding_stream,
        cast({{ pace_limit if pace_limit is not none else 'null' }} as double) as pace_of_change_limit,
        -- 12 decimals: far below a penny on any allocation, and stable across platforms
        cast({{ round_decimal('solved.scale_factor', 12) }} as double) as scale_factor
    from year_streams
    left join solved
        on
            year_streams.financial_year = solved.financial_year
            and year_streams.funding_stream = solved.funding_stream
)

select * from final
