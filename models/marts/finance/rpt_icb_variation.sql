{#- Spend and activity per head, and unwarranted variation between ICBs: one row per ICB ×
    service line × financial year (int_finance__icb_line_rates), per 100,000 needs-weighted
    population, against the comparison group (the footprint's ICBs: every ICB when national)
    and the ICB's peers (footprint ICBs of its region), with funnel-plot control limits at 95 %
    and 99.8 % around the group's pooled rate and the outliers flagged. Activity is treated as a
    Poisson count: limits = pooled rate ± z × sqrt(pooled rate ÷ weighted population), z = 1.96
    and 3.09; spend limits are the activity limits × the group's pounds per unit. ICBs outside
    the footprint are listed with their rates but no comparison (their patients are only
    partly seen). Method: docs/marts/icb-variation.md. -#}
{%- set z95 = 1.959964 -%}
{%- set z998 = 3.090232 -%}
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
        activity
    from {{ ref('int_finance__icb_line_rates') }}
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
            when
                line_rates.weighted_population > 0
                then 100000.0 * cast(line_rates.spend_gbp as double) / line_rates.weighted_population
        end as spend_per_100k,
        case
            when
                line_rates.weighted_population > 0
                then 100000.0 * cast(line_rates.activity as double) / line_rates.weighted_population
        end as activity_per_100k
    from line_rates
),

-- The comparison group: the footprint's ICBs with a weighted population, per line and year.
group_rates as (
    select
        service_line_code,
        financial_year,
        count(*) as group_icbs,
        sum(cast(activity as double)) / sum(weighted_population) as pooled_activity_rate,
        sum(cast(spend_gbp as double)) / sum(weighted_population) as pooled_spend_rate,
        sum(cast(spend_gbp as double)) / nullif(sum(cast(activity as double)), 0) as pounds_per_unit,
        median(spend_per_100k) as comparison_median_spend_per_100k,
        median(activity_per_100k) as comparison_median_activity_per_100k
    from rates
    where is_in_footprint and weighted_population > 0
    group by service_line_code, financial_year
),

peer_rates as (
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

limits as (
    select
        rates.*,
        group_rates.group_icbs,
        group_rates.comparison_median_spend_per_100k,
        group_rates.comparison_median_activity_per_100k,
        peer_rates.peer_median_spend_per_100k,
        peer_rates.peer_median_activity_per_100k,
        100000.0 * group_rates.pooled_activity_rate as target_activity_per_100k,
        100000.0 * group_rates.pooled_spend_rate as target_spend_per_100k,
        group_rates.pounds_per_unit,
        -- no Poisson limits around a negative pooled rate (adjustments exceed activity): NULL
        case
            when group_rates.pooled_activity_rate >= 0
                then 100000.0 * sqrt(group_rates.pooled_activity_rate / rates.weighted_population)
        end as activity_se_per_100k
    from rates
    left join group_rates
        on
            rates.service_line_code = group_rates.service_line_code
            and rates.financial_year = group_rates.financial_year
            and rates.is_in_footprint
            and rates.weighted_population > 0
    left join peer_rates
        on
            rates.service_line_code = peer_rates.service_line_code
            and rates.financial_year = peer_rates.financial_year
            and rates.region_code = peer_rates.region_code
            and rates.is_in_footprint
            and rates.weighted_population > 0
),

bounded as (
    select
        limits.*,
        -- greatest() skips a NULL: no limit (a negative pooled rate) must stay NULL, not 0
        case
            when limits.activity_se_per_100k is not null
                then greatest(limits.target_activity_per_100k - {{ z95 }} * limits.activity_se_per_100k, 0)
        end as activity_lower_95,
        limits.target_activity_per_100k + {{ z95 }} * limits.activity_se_per_100k as activity_upper_95,
        case
            when limits.activity_se_per_100k is not null
                then greatest(limits.target_activity_per_100k - {{ z998 }} * limits.activity_se_per_100k, 0)
        end as activity_lower_998,
        limits.target_activity_per_100k + {{ z998 }} * limits.activity_se_per_100k as activity_upper_998
    from limits
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
        bounded.population_financial_year,
        bounded.registered_population,
        bounded.needs_index,
        cast(round(bounded.weighted_population, 0) as bigint) as weighted_population,
        bounded.spend_gbp,
        bounded.activity,
        cast(round(bounded.spend_per_100k, 2) as decimal(38, 2)) as spend_per_100k,
        cast(round(bounded.activity_per_100k, 4) as decimal(18, 4)) as activity_per_100k,
        case when bounded.is_in_footprint then footprint.footprint_setting end as comparison_group,
        bounded.group_icbs as comparison_icbs,
        cast(round(bounded.comparison_median_spend_per_100k, 2) as decimal(38, 2)) as comparison_median_spend_per_100k,
        cast(round(bounded.comparison_median_activity_per_100k, 4) as decimal(18, 4))
            as comparison_median_activity_per_100k,
        cast(round(bounded.peer_median_spend_per_100k, 2) as decimal(38, 2)) as peer_median_spend_per_100k,
        cast(round(bounded.peer_median_activity_per_100k, 4) as decimal(18, 4)) as peer_median_activity_per_100k,
        cast(round(bounded.target_activity_per_100k, 4) as decimal(18, 4)) as target_activity_per_100k,
        cast(round(bounded.activity_lower_95, 4) as decimal(18, 4)) as activity_lower_95_per_100k,
        cast(round(bounded.activity_upper_95, 4) as decimal(18, 4)) as activity_upper_95_per_100k,
        cast(round(bounded.activity_lower_998, 4) as decimal(18, 4)) as activity_lower_998_per_100k,
        cast(round(bounded.activity_upper_998, 4) as decimal(18, 4)) as activity_upper_998_per_100k,
        cast(round(bounded.target_spend_per_100k, 2) as decimal(38, 2)) as target_spend_per_100k,
        cast(round(bounded.activity_lower_95 * bounded.pounds_per_unit, 2) as decimal(38, 2))
            as spend_lower_95_per_100k,
        cast(round(bounded.activity_upper_95 * bounded.pounds_per_unit, 2) as decimal(38, 2))
            as spend_upper_95_per_100k,
        cast(round(bounded.activity_lower_998 * bounded.pounds_per_unit, 2) as decimal(38, 2))
            as spend_lower_998_per_100k,
        cast(round(bounded.activity_upper_998 * bounded.pounds_per_unit, 2) as decimal(38, 2))
            as spend_upper_998_per_100k,
        coalesce(
            bounded.activity_per_100k < bounded.activity_lower_95
            or bounded.activity_per_100k > bounded.activity_upper_95,
            false
        ) as is_outlier_95,
        coalesce(
            bounded.activity_per_100k < bounded.activity_lower_998
            or bounded.activity_per_100k > bounded.activity_upper_998,
            false
        ) as is_outlier_998,
        coalesce(
            bounded.spend_per_100k < bounded.activity_lower_95 * bounded.pounds_per_unit
            or bounded.spend_per_100k > bounded.activity_upper_95 * bounded.pounds_per_unit,
            false
        ) as is_spend_outlier_95,
        coalesce(
            bounded.spend_per_100k < bounded.activity_lower_998 * bounded.pounds_per_unit
            or bounded.spend_per_100k > bounded.activity_upper_998 * bounded.pounds_per_unit,
            false
        ) as is_spend_outlier_998
    from bounded
    left join footprint
        on bounded.icb_code = footprint.icb_code
)

select * from final
