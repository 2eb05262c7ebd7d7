{#- Spend and activity per head, and unwarranted variation between ICBs: one row per ICB ×
    service line × financial year (int_finance__icb_line_rates), per 100,000 needs-weighted
    population, against the comparison group (the footprint's ICBs: every ICB when national)
    and the ICB's peers (footprint ICBs of its region), with funnel-plot control limits at 95 %
    and 99.8 % around the group's pooled rate and the outliers flagged. Activity is treated as a
    Poisson count: limits = pooled rate ± z × sqrt(pooled rate ÷ weighted population), z = 1.96
    and 3.09; spend limits are the activity limits × the group's pounds per unit. ICBs outside
    the footprint are listed with their rates but no comparison (their patients are only
    partly seen). Method: docs/marts/icb-variation.md. -#}
{#- Spend and activity per head, and unwarranted variation between ICBs: one row per ICB ×
    service line × financial year (int_finance__icb_line_rates), per 100,000 needs-weighted
    population, the estimates of missing provider-months included, against a centre line from
    outside the ICBs tested (the national or regional reference rate, or every ICB when the
    footprint is national) with Spiegelhalter's over-dispersed funnel limits at 95 % and
    99.8 % (int_finance__icb_variation_funnel, as NHS-R's FunnelPlotR). No flag (NULL, with
    no_flag_reason) with fewer than 5 comparators or for an ICB that cannot be judged. The
    medians of the footprint's ICBs (and their region's) stay beside it. Method:
    docs/marts/icb-variation.md. -#}
with

line_rates as (
    select
        icb_code,
        service_line_code,
        financial_year,
        funding_stream,
        npoc_code,
        npoc_name,
        crg_name,
        region_code,
        is_in_footprint,
        population_financial_year,
        registered_population,
        needs_index,
        weighted_population,
        spend_gbp,
        activity,
        estimated_spend_gbp,
        estimated_activity,
        missing_provider_months,
        is_complete,
        months_covered,
        year_fraction
    from {{ ref('int_finance__icb_line_rates') }}
),

funnel as (
    select
        icb_code,
        service_line_code,
        financial_year,
        centre_source,
        is_centre_illustrative,
        expected_activity,
        z_score,
        comparators,
        phi,
        tau2,
        spend_phi,
        spend_tau2,
        no_flag_reason,
        centre_activity_per_100k,
        activity_lower_95_per_100k,
        activity_upper_95_per_100k,
        activity_lower_998_per_100k,
        activity_upper_998_per_100k,
        centre_spend_per_100k,
        spend_lower_95_per_100k,
        spend_upper_95_per_100k,
        spend_lower_998_per_100k,
        spend_upper_998_per_100k,
        is_outlier_95,
        is_outlier_998,
        is_spend_outlier_95,
        is_spend_outlier_998
    from {{ ref('int_finance__icb_variation_funnel') }}
),

footprint as (
    select
        icb_code,
        icb_name,
        footprint_setting
    from {{ ref('int_reference__footprint') }}
),

rates as (
    select
        line_rates.*,
        case
            when line_rates.weighted_population > 0
                then
                    100000.0 * cast(line_rates.spend_gbp + line_rates.estimated_spend_gbp as double)
                    / line_rates.weighted_population
        end as spend_per_100k,
        case
            when line_rates.weighted_population > 0
                then
                    100000.0 * cast(line_rates.activity + line_rates.estimated_activity as double)
                    / line_rates.weighted_population
        end as activity_per_100k
    from line_rates
),

-- The footprint's medians, for reading beside the funnel.
group_medians as (
    select
        service_line_code,
        financial_year,
        median(spend_per_100k) as comparison_median_spend_per_100k,
        median(activity_per_100k) as comparison_median_activity_per_100k
    from rates
    where is_in_footprint and weighted_population > 0
    group by service_line_code, financial_year
),

peer_medians as (
    select
        service_line_code,
        financial_year,
        region_code,
        median(spend_per_100k) as peer_median_spend_per_100k,
        median(activity_per_100k) as peer_median_activity_per_100k
    from rates
    where is_in_footprint and weighted_population > 0
    group by service_line_code, financial_year, region_code
),

bounded as (
    select
        rates.*,
        funnel.centre_source,
        funnel.is_centre_illustrative,
        funnel.expected_activity,
        funnel.z_score,
        funnel.comparators,
        funnel.phi,
        funnel.tau2,
        funnel.spend_phi,
        funnel.spend_tau2,
        funnel.no_flag_reason,
        funnel.centre_activity_per_100k,
        funnel.activity_lower_95_per_100k,
        funnel.activity_upper_95_per_100k,
        funnel.activity_lower_998_per_100k,
        funnel.activity_upper_998_per_100k,
        funnel.centre_spend_per_100k,
        funnel.spend_lower_95_per_100k,
        funnel.spend_upper_95_per_100k,
        funnel.spend_lower_998_per_100k,
        funnel.spend_upper_998_per_100k,
        funnel.is_outlier_95,
        funnel.is_outlier_998,
        funnel.is_spend_outlier_95,
        funnel.is_spend_outlier_998,
        case when rates.is_in_footprint then group_medians.comparison_median_spend_per_100k end
            as comparison_median_spend_per_100k,
        case when rates.is_in_footprint then group_medians.comparison_median_activity_per_100k end
            as comparison_median_activity_per_100k,
        case when rates.is_in_footprint then peer_medians.peer_median_spend_per_100k end
            as peer_median_spend_per_100k,
        case when rates.is_in_footprint then peer_medians.peer_median_activity_per_100k end
            as peer_median_activity_per_100k
    from rates
    inner join funnel
        on
            rates.icb_code = funnel.icb_code
            and rates.service_line_code = funnel.service_line_code
            and rates.financial_year = funnel.financial_year
    left join group_medians
        on
            rates.service_line_code = group_medians.service_line_code
            and rates.financial_year = group_medians.financial_year
    left join peer_medians
        on
            rates.service_line_code = peer_medians.service_line_code
            and rates.financial_year = peer_medians.financial_year
            and rates.region_code = peer_medians.region_code
),

final as (
    select
        {{ surrogate_key(['bounded.icb_code', 'bounded.service_line_code', 'bounded.financial_year']) }}
            as icb_variation_key,
        bounded.icb_code,
        footprint.icb_name,
        bounded.region_code,
        bounded.is_in_footprint,
        bounded.service_line_code,
        bounded.funding_stream,
        bounded.npoc_code,
        bounded.npoc_name,
        bounded.crg_name,
        bounded.financial_year,
        bounded.months_covered,
        bounded.is_complete,
        bounded.missing_provider_months,
        bounded.population_financial_year,
        bounded.registered_population,
        bounded.needs_index,
        cast({{ round_decimal('bounded.weighted_population', 0) }} as bigint) as weighted_population,
        bounded.spend_gbp,
        bounded.activity,
        bounded.estimated_spend_gbp,
        bounded.estimated_activity,
        {{ round_quotient('bounded.spend_per_100k', 1) }} as spend_per_100k,
        {{ round_quotient('bounded.activity_per_100k', 1, 4) }} as activity_per_100k,
        case when bounded.is_in_footprint then footprint.footprint_setting end as comparison_group,
        bounded.comparators,
        bounded.centre_source,
        bounded.is_centre_illustrative,
        bounded.expected_activity,
        bounded.z_score,
        bounded.phi,
        bounded.tau2,
        bounded.spend_phi,
        bounded.spend_tau2,
        {{ round_quotient('bounded.comparison_median_spend_per_100k', 1) }} as comparison_median_spend_per_100k,
        {{ round_quotient('bounded.comparison_median_activity_per_100k', 1, 4) }}
            as comparison_median_activity_per_100k,
        {{ round_quotient('bounded.peer_median_spend_per_100k', 1) }} as peer_median_spend_per_100k,
        {{ round_quotient('bounded.peer_median_activity_per_100k', 1, 4) }} as peer_median_activity_per_100k,
        bounded.centre_activity_per_100k as target_activity_per_100k,
        bounded.activity_lower_95_per_100k,
        bounded.activity_upper_95_per_100k,
        bounded.activity_lower_998_per_100k,
        bounded.activity_upper_998_per_100k,
        bounded.centre_spend_per_100k as target_spend_per_100k,
        bounded.spend_lower_95_per_100k,
        bounded.spend_upper_95_per_100k,
        bounded.spend_lower_998_per_100k,
        bounded.spend_upper_998_per_100k,
        bounded.is_outlier_95,
        bounded.is_outlier_998,
        bounded.is_spend_outlier_95,
        bounded.is_spend_outlier_998,
        bounded.no_flag_reason
    from bounded
    left join footprint
        on bounded.icb_code = footprint.icb_code
)

select * from final
