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
    population, no centre, a negative rate). Method: docs/marts/icb-variation.md. The centre
    lines, expected counts and z-scores: int_finance__icb_variation_z_scores. -#}
{%- set z95 = 1.959963984540054 -%}
{%- set z998 = 3.090232306167813 -%}
{%- set min_comparators = 5 -%}
{%- set winsorise_by = 0.1 -%}
with

z_scores as (
    select
        icb_code,
        service_line_code,
        financial_year,
        region_code,
        is_in_footprint,
        weighted_population,
        observed_spend_gbp,
        observed_activity,
        year_fraction,
        is_national,
        is_compared,
        centre_source,
        is_centre_illustrative,
        centre_activity_per_100k,
        centre_spend_per_100k,
        expected_activity,
        expected_spend_gbp,
        unit_reason,
        z_score,
        spend_z_score
    from {{ ref('int_finance__icb_variation_z_scores') }}
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
