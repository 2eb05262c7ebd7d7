{#- Each ICB's rate against its centre line, on the square-root scale: one row per ICB ×
    service line × financial year of int_finance__icb_line_rates, its observed activity and
    spend (estimates of missing months included), the centre line per 100,000 (the reference
    rate of seed service_line_reference_rates: the ICB's region, else England; the year, else
    the latest earlier, else the earliest; × year_fraction; or, when the footprint is national,
    the pooled rate of every ICB in the data), the expected E = centre × weighted population,
    why the ICB cannot be judged (unit_reason) and, when it can, z = 2 × (√O − √E) for the
    activity and the spend. A step of int_finance__icb_variation_funnel
    (docs/marts/icb-variation.md). -#}
with

line_rates as (
    select
        icb_code,
        service_line_code,
        financial_year,
        region_code,
        is_in_footprint,
        weighted_population,
        spend_gbp + estimated_spend_gbp as observed_spend_gbp,
        activity + estimated_activity as observed_activity,
        year_fraction
    from {{ ref('int_finance__icb_line_rates') }}
),

footprint as (
    select max(footprint_setting) = 'national' as is_national
    from {{ ref('int_reference__footprint') }}
),

reference_rates as (
    select
        service_line_code,
        financial_year,
        geography_code,
        activity_per_100k,
        spend_per_100k,
        is_illustrative
    from {{ ref('stg_reference__service_line_reference_rates') }}
),

-- The reference row each ICB's line and year takes: its region's before England's; the year,
-- else the latest earlier, else the earliest.
reference_candidates as (
    select
        line_rates.icb_code,
        line_rates.service_line_code,
        line_rates.financial_year,
        reference_rates.geography_code,
        reference_rates.activity_per_100k,
        reference_rates.spend_per_100k,
        reference_rates.is_illustrative,
        row_number() over (
            partition by line_rates.icb_code, line_rates.service_line_code, line_rates.financial_year
            order by
                case when reference_rates.geography_code = line_rates.region_code then 0 else 1 end,
                case when reference_rates.financial_year <= line_rates.financial_year then 0 else 1 end,
                case
                    when reference_rates.financial_year <= line_rates.financial_year
                        then reference_rates.financial_year
                end desc,
                reference_rates.financial_year
        ) as preference
    from line_rates
    inner join reference_rates
        on
            line_rates.service_line_code = reference_rates.service_line_code
            and (
                line_rates.region_code = reference_rates.geography_code
                or reference_rates.geography_code = 'ENG'
            )
),

national_pooled as (
    select
        service_line_code,
        financial_year,
        100000.0 * sum(cast(observed_activity as double)) / sum(weighted_population) as activity_per_100k,
        100000.0 * sum(cast(observed_spend_gbp as double)) / sum(weighted_population) as spend_per_100k
    from line_rates
    where weighted_population > 0
    group by service_line_code, financial_year
),

-- The centre line per 100,000 for the months the figures cover.
centred as (
    select
        line_rates.*,
        footprint.is_national,
        line_rates.is_in_footprint or footprint.is_national as is_compared,
        case
            when footprint.is_national then 'national_pooled'
            when reference_candidates.geography_code = 'ENG' then 'reference_national'
            when reference_candidates.geography_code is not null then 'reference_regional'
        end as centre_source,
        case
            when footprint.is_national then false
            else reference_candidates.is_illustrative
        end as is_centre_illustrative,
        case
            when footprint.is_national then national_pooled.activity_per_100k
            else reference_candidates.activity_per_100k * line_rates.year_fraction
        end as centre_activity_per_100k,
        case
            when footprint.is_national then national_pooled.spend_per_100k
            else cast(reference_candidates.spend_per_100k as double) * line_rates.year_fraction
        end as centre_spend_per_100k
    from line_rates
    cross join footprint
    left join reference_candidates
        on
            line_rates.icb_code = reference_candidates.icb_code
            and line_rates.service_line_code = reference_candidates.service_line_code
            and line_rates.financial_year = reference_candidates.financial_year
            and reference_candidates.preference = 1
    left join national_pooled
        on
            line_rates.service_line_code = national_pooled.service_line_code
            and line_rates.financial_year = national_pooled.financial_year
),

expected as (
    select
        centred.*,
        centred.centre_activity_per_100k * centred.weighted_population / 100000.0 as expected_activity,
        centred.centre_spend_per_100k * centred.weighted_population / 100000.0 as expected_spend_gbp,
        case
            when not centred.is_compared then 'outside_footprint'
            when coalesce(centred.weighted_population, 0) <= 0 then 'no_population'
            when centred.centre_activity_per_100k is null then 'no_reference_rate'
            when centred.centre_activity_per_100k <= 0 or centred.centre_spend_per_100k <= 0
                then 'centre_not_positive'
            when centred.observed_activity < 0 or centred.observed_spend_gbp < 0 then 'negative_rate'
        end as unit_reason
    from centred
),

final as (
    select
        expected.*,
        case
            when expected.unit_reason is null
                then 2.0 * (sqrt(cast(expected.observed_activity as double)) - sqrt(expected.expected_activity))
        end as z_score,
        case
            when expected.unit_reason is null
                then
                    2.0 * sqrt(expected.expected_activity)
                    * (sqrt(cast(expected.observed_spend_gbp as double) / expected.expected_spend_gbp) - 1.0)
        end as spend_z_score
    from expected
)

select * from final
