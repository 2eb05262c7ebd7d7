{#- The funnel of rpt_icb_variation: one row per ICB × service line × financial year of
    int_finance__icb_line_rates, its rate (estimates of missing months included) against a
    centre line from outside the ICBs tested, with Spiegelhalter's over-dispersed limits as
    NHS-R's FunnelPlotR draws them for a standardised ratio (square-root transform).
    Centre: the reference rate (seed service_line_reference_rates: the ICB's region, else
    England; the year, else the latest earlier, else the earliest) × year_fraction, or, when the
    footprint is national, the pooled rate of every ICB in the data. Per ICB: expected
    E = centre × weighted population, observed O; z = 2 × (√O − √E) (the ratio O/E on the
    square-root scale, s = 1 / (2√E)). Per line and year over the comparators (the footprint's
    ICBs with a positive expected and a non-negative observed): z winsorised at the 10th and
    90th percentiles, φ = mean of their squares, τ² = max(0, (kφ − (k − 1)) / (Σw − Σw² / Σw)),
    w = 4E. Limits on the ratio: (1 ± z_α √(1 / 4E + τ²))², the lower one floored at 0;
    rates = centre × ratio. Spend the same, its ratio's standard error that of the activity
    count. Fewer than 5 comparators: no φ or τ², Poisson limits only, and no flag (NULL, with
    no_flag_reason); so is every ICB that cannot be judged (outside the footprint, no
    population, no centre, a negative rate). Method: docs/marts/icb-variation.md. -#}
{%- set z95 = 1.959963984540054 -%}
{%- set z998 = 3.090232306167813 -%}
{%- set min_comparators = 5 -%}
{%- set winsorise_by = 0.1 -%}
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

z_scores as (
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
),

-- The comparators' winsorising bounds per line and year.
winsor_bounds as (
    select
        service_line_code,
        financial_year,
        count(*) as comparators,
        percentile_cont({{ winsorise_by }}) within group (order by z_score) as z_low,
        percentile_cont({{ 1 - winsorise_by }}) within group (order by z_score) as z_high,
        percentile_cont({{ winsorise_by }}) within group (order by spend_z_score) as spend_z_low,
        percentile_cont({{ 1 - winsorise_by }}) within group (order by spend_z_score) as spend_z_high
    from z_scores
    where z_score is not null
    group by service_line_code, financial_year
),

dispersion as (
    select
        z_scores.service_line_code,
        z_scores.financial_year,
        winsor_bounds.comparators,
        avg(power(least(greatest(z_scores.z_score, winsor_bounds.z_low), winsor_bounds.z_high), 2)) as phi,
        avg(power(least(greatest(z_scores.spend_z_score, winsor_bounds.spend_z_low), winsor_bounds.spend_z_high), 2))
            as spend_phi,
        sum(4.0 * z_scores.expected_activity) as sum_w,
        sum(power(4.0 * z_scores.expected_activity, 2)) as sum_w2
    from z_scores
    inner join winsor_bounds
        on
            z_scores.service_line_code = winsor_bounds.service_line_code
            and z_scores.financial_year = winsor_bounds.financial_year
    where z_scores.z_score is not null
    group by z_scores.service_line_code, z_scores.financial_year, winsor_bounds.comparators
),

tau as (
    select
        dispersion.*,
        case
            when dispersion.comparators >= {{ min_comparators }}
                then greatest(
                    (dispersion.comparators * dispersion.phi - (dispersion.comparators - 1))
                    / nullif(dispersion.sum_w - dispersion.sum_w2 / dispersion.sum_w, 0),
                    0
                )
        end as tau2,
        case
            when dispersion.comparators >= {{ min_comparators }}
                then greatest(
                    (dispersion.comparators * dispersion.spend_phi - (dispersion.comparators - 1))
                    / nullif(dispersion.sum_w - dispersion.sum_w2 / dispersion.sum_w, 0),
                    0
                )
        end as spend_tau2
    from dispersion
),

limits as (
    select
        z_scores.*,
        coalesce(tau.comparators, 0) as comparators,
        case when tau.comparators >= {{ min_comparators }} then tau.phi end as phi,
        tau.tau2,
        case when tau.comparators >= {{ min_comparators }} then tau.spend_phi end as spend_phi,
        tau.spend_tau2,
        coalesce(
            z_scores.unit_reason,
            case when coalesce(tau.comparators, 0) < {{ min_comparators }} then 'fewer_than_5_comparators' end
        ) as no_flag_reason,
        case
            when z_scores.expected_activity > 0
                then sqrt(1.0 / (4.0 * z_scores.expected_activity) + coalesce(tau.tau2, 0))
        end as ratio_sd,
        case
            when z_scores.expected_activity > 0
                then sqrt(1.0 / (4.0 * z_scores.expected_activity) + coalesce(tau.spend_tau2, 0))
        end as spend_ratio_sd
    from z_scores
    left join tau
        on
            z_scores.service_line_code = tau.service_line_code
            and z_scores.financial_year = tau.financial_year
),

limit_values as (
    select
        limits.*,
        limits.centre_activity_per_100k * power(greatest(1.0 - {{ z95 }} * limits.ratio_sd, 0), 2) as activity_lower_95,
        limits.centre_activity_per_100k * power(1.0 + {{ z95 }} * limits.ratio_sd, 2) as activity_upper_95,
        limits.centre_activity_per_100k
        * power(greatest(1.0 - {{ z998 }} * limits.ratio_sd, 0), 2) as activity_lower_998,
        limits.centre_activity_per_100k * power(1.0 + {{ z998 }} * limits.ratio_sd, 2) as activity_upper_998,
        limits.centre_spend_per_100k
        * power(greatest(1.0 - {{ z95 }} * limits.spend_ratio_sd, 0), 2) as spend_lower_95,
        limits.centre_spend_per_100k * power(1.0 + {{ z95 }} * limits.spend_ratio_sd, 2) as spend_upper_95,
        limits.centre_spend_per_100k
        * power(greatest(1.0 - {{ z998 }} * limits.spend_ratio_sd, 0), 2) as spend_lower_998,
        limits.centre_spend_per_100k * power(1.0 + {{ z998 }} * limits.spend_ratio_sd, 2) as spend_upper_998,
        -- outside the limits ⇔ |√(O / E) − 1| > z × sd on the square-root scale
        case
            when limits.no_flag_reason is null
                then abs(sqrt(cast(limits.observed_activity as double) / limits.expected_activity) - 1.0)
        end as activity_distance,
        case
            when limits.no_flag_reason is null
                then abs(sqrt(cast(limits.observed_spend_gbp as double) / limits.expected_spend_gbp) - 1.0)
        end as spend_distance
    from limits
),

final as (
    select
        icb_code,
        service_line_code,
        financial_year,
        is_compared,
        centre_source,
        is_centre_illustrative,
        observed_activity,
        observed_spend_gbp,
        {{ round_quotient('expected_activity', 1, 3) }} as expected_activity,
        {{ round_quotient('expected_spend_gbp', 1) }} as expected_spend_gbp,
        z_score,
        spend_z_score,
        comparators,
        {{ round_quotient('phi', 1, 6) }} as phi,
        tau2,
        {{ round_quotient('spend_phi', 1, 6) }} as spend_phi,
        spend_tau2,
        no_flag_reason,
        {{ round_quotient('centre_activity_per_100k', 1, 4) }} as centre_activity_per_100k,
        {{ round_quotient('activity_lower_95', 1, 4) }} as activity_lower_95_per_100k,
        {{ round_quotient('activity_upper_95', 1, 4) }} as activity_upper_95_per_100k,
        {{ round_quotient('activity_lower_998', 1, 4) }} as activity_lower_998_per_100k,
        {{ round_quotient('activity_upper_998', 1, 4) }} as activity_upper_998_per_100k,
        {{ round_quotient('centre_spend_per_100k', 1) }} as centre_spend_per_100k,
        {{ round_quotient('spend_lower_95', 1) }} as spend_lower_95_per_100k,
        {{ round_quotient('spend_upper_95', 1) }} as spend_upper_95_per_100k,
        {{ round_quotient('spend_lower_998', 1) }} as spend_lower_998_per_100k,
        {{ round_quotient('spend_upper_998', 1) }} as spend_upper_998_per_100k,
        activity_distance > {{ z95 }} * ratio_sd as is_outlier_95,
        activity_distance > {{ z998 }} * ratio_sd as is_outlier_998,
        spend_distance > {{ z95 }} * spend_ratio_sd as is_spend_outlier_95,
        spend_distance > {{ z998 }} * spend_ratio_sd as is_spend_outlier_998
    from limit_values
)

select * from final
