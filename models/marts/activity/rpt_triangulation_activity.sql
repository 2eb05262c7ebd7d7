{#- Triangulation of SLAM with SUS: one row per provider × service line × point of delivery ×
    financial year × month, with SLAM activity (Actual rows) against the count of SUS records,
    SLAM pounds against the SUS tariff prices, the variances, and flags against the thresholds
    in seed triangulation_thresholds (is_flagged: the activity; the price is flagged apart). Read by the data-quality check
    slam_sus_activity_variance. Method: docs/marts/triangulation.md. The cells
    side by side: int_triangulation__slam_sus_activity_cells. -#}

with

periods as (
    select
        provider_code,
        service_line_code,
        pod_code,
        financial_year,
        financial_month,
        slam_activity,
        slam_price_gbp,
        slam_rows,
        sus_activity,
        sus_tariff_gbp,
        sus_priced_records,
        is_slam_submitted,
        is_sus_extracted
    from {{ ref('int_triangulation__slam_sus_activity_cells') }}
),

dim_service_line as (
    select distinct service_line_code
    from {{ ref('dim_service_line') }}
    where not is_unknown_member
),

dim_point_of_delivery as (
    select
        pod_code,
        unit_of_activity,
        setting
    from {{ ref('dim_point_of_delivery') }}
    where not is_unknown_member
),

dim_provider as (
    select
        provider_code,
        provider_name
    from {{ ref('dim_provider') }}
    where not is_unknown_member
),

-- A cell is compared only when both sides could hold it: a specialised service line and a POD
-- known to the reference data, a POD that SUS records (spells and attendances), SLAM submitted
-- for the provider and month, and a SUS extract for the month. Otherwise other checks report it.
comparability as (
    select
        periods.*,
        case
            when dim_service_line.service_line_code is null then 'service_line_unknown'
            when periods.service_line_code = '99999999' then 'not_specialised'
            when dim_point_of_delivery.pod_code is null then 'pod_unknown'
            when
                dim_point_of_delivery.setting not in ('admitted', 'outpatient')
                or dim_point_of_delivery.unit_of_activity not in ('spell', 'attendance')
                then 'pod_not_in_sus'
            when not periods.is_slam_submitted then 'slam_month_not_submitted'
            when not periods.is_sus_extracted then 'sus_month_not_extracted'
        end as not_compared_reason
    from periods
    left join dim_service_line
        on periods.service_line_code = dim_service_line.service_line_code
    left join dim_point_of_delivery
        on periods.pod_code = dim_point_of_delivery.pod_code
),

variances as (
    select
        comparability.*,
        comparability.not_compared_reason is null as is_compared,
        comparability.slam_activity - comparability.sus_activity as activity_variance,
        {{ pct_variance('comparability.slam_activity', 'comparability.sus_activity') }} as activity_pct_variance,
        comparability.slam_price_gbp - comparability.sus_tariff_gbp as price_variance_gbp,
        {{ round_quotient('comparability.slam_price_gbp', 'comparability.slam_activity') }} as slam_unit_price_gbp,
        {{ round_quotient('comparability.sus_tariff_gbp', 'comparability.sus_priced_records') }}
            as sus_unit_tariff_gbp
    from comparability
),

unit_prices as (
    select
        variances.*,
        {{ pct_variance('variances.slam_unit_price_gbp', 'variances.sus_unit_tariff_gbp') }} as unit_price_pct_variance,
        cast(
            (variances.slam_unit_price_gbp - variances.sus_unit_tariff_gbp) * variances.slam_activity as decimal(38, 2)
        ) as price_effect_gbp
    from variances
),

-- Activity is flagged when the difference is beyond both thresholds: the percentage (of SUS;
-- infinite when SUS has nothing) and the absolute amount, on cells at least min_cell_size on
-- either side. The price is compared per unit (SLAM pounds per unit of activity against the mean
-- tariff of the SUS records that carry one), its absolute threshold on the pounds the unit-price
-- difference makes over the SLAM activity; a missing unit price is not flagged.
activity_flags as (
    {{ with_threshold_flag(
        'unit_prices', 'slam_sus_activity', 'is_activity_flagged',
        'activity_variance', 'slam_activity', 'sus_activity', 'activity_pct_variance'
    ) }}
),

flags as (
    {{ with_threshold_flag(
        'activity_flags', 'slam_sus_price', 'is_price_flagged',
        'price_effect_gbp', 'slam_price_gbp', 'sus_tariff_gbp', 'unit_price_pct_variance',
        missing_pct_is_beyond=false
    ) }}
),

final as (
    select
        {{ surrogate_key([
            'flags.provider_code', 'flags.service_line_code', 'flags.pod_code',
            'flags.financial_year', 'flags.financial_month'
        ]) }} as triangulation_activity_key,
        flags.provider_code,
        dim_provider.provider_name,
        flags.service_line_code,
        flags.pod_code,
        flags.financial_year,
        flags.financial_month,
        {{ date_of_financial_period('flags.financial_year', 'flags.financial_month') }} as period_start_date,
        cast(flags.slam_activity as decimal(38, 3)) as slam_activity,
        flags.sus_activity,
        cast(flags.activity_variance as decimal(38, 3)) as activity_variance,
        flags.activity_pct_variance,
        flags.slam_price_gbp,
        flags.sus_tariff_gbp,
        flags.price_variance_gbp,
        flags.slam_unit_price_gbp,
        flags.sus_unit_tariff_gbp,
        flags.unit_price_pct_variance,
        flags.price_effect_gbp,
        flags.slam_rows,
        flags.sus_priced_records,
        flags.is_compared,
        flags.not_compared_reason,
        flags.is_activity_flagged,
        flags.is_price_flagged,
        flags.is_activity_flagged as is_flagged
    from flags
    left join dim_provider
        on flags.provider_code = dim_provider.provider_code
)

select * from final
