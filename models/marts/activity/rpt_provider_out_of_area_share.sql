{#- Companion to rpt_cross_boundary_flows: one row per provider × financial year × funding stream,
    with the share of the provider's SLAM activity and pounds (Actual rows) that comes from
    patients outside its host ICB — at the time (the host in force in the row's month,
    fct_contract_activity.provider_host_icb_code: a dissolved host's successor after a merger,
    so a merger moves no activity out of area), and on current ICB boundaries. host_icb_code
    is the host the provider reference states. Method: docs/marts/cross-boundary-flows.md. -#}
with

fct_contract_activity as (
    select
        provider_code,
        attributed_icb_code,
        attribution_method,
        provider_host_icb_code,
        financial_year,
        funding_stream,
        activity,
        price
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual'
),

dim_provider as (
    select
        provider_code,
        provider_name,
        host_icb_code
    from {{ ref('dim_provider') }}
    where not is_unknown_member
),

current_boundaries as (
    select distinct
        icb_code,
        current_icb_code
    from {{ ref('dim_icb') }}
),

classified as (
    select
        fct_contract_activity.provider_code,
        dim_provider.provider_name,
        dim_provider.host_icb_code,
        host_current.current_icb_code as host_current_icb_code,
        fct_contract_activity.financial_year,
        fct_contract_activity.funding_stream,
        coalesce(fct_contract_activity.activity, 0) as activity,
        coalesce(fct_contract_activity.price, 0) as price,
        case
            when fct_contract_activity.attributed_icb_code is null then 'unattributed'
            when
                fct_contract_activity.attributed_icb_code
                = coalesce(fct_contract_activity.provider_host_icb_code, dim_provider.host_icb_code)
                then 'host'
            else 'outside'
        end as origin,
        case
            when fct_contract_activity.attributed_icb_code is null then 'unattributed'
            when patient_current.current_icb_code = host_current.current_icb_code then 'host'
            else 'outside'
        end as origin_current,
        fct_contract_activity.attribution_method = 'provider_host' as is_host_fallback
    from fct_contract_activity
    left join dim_provider
        on fct_contract_activity.provider_code = dim_provider.provider_code
    left join current_boundaries as patient_current
        on fct_contract_activity.attributed_icb_code = patient_current.icb_code
    left join current_boundaries as host_current
        on dim_provider.host_icb_code = host_current.icb_code
),

per_provider as (
    select
        provider_code,
        provider_name,
        host_icb_code,
        host_current_icb_code,
        financial_year,
        funding_stream,
        sum(activity) as activity,
        sum(activity) filter (where origin = 'host') as host_icb_activity,
        sum(activity) filter (where origin = 'outside') as outside_host_activity,
        sum(activity) filter (where origin_current = 'outside') as outside_current_host_activity,
        sum(activity) filter (where origin = 'unattributed') as unattributed_activity,
        sum(activity) filter (where is_host_fallback) as host_fallback_activity,
        sum(price) as price_gbp,
        sum(price) filter (where origin = 'host') as host_icb_gbp,
        sum(price) filter (where origin = 'outside') as outside_host_gbp,
        sum(price) filter (where origin_current = 'outside') as outside_current_host_gbp,
        sum(price) filter (where origin = 'unattributed') as unattributed_gbp,
        sum(price) filter (where is_host_fallback) as host_fallback_gbp
    from classified
    group by
        provider_code,
        provider_name,
        host_icb_code,
        host_current_icb_code,
        financial_year,
        funding_stream
),

attributed as (
    select
        provider_code,
        provider_name,
        host_icb_code,
        host_current_icb_code,
        financial_year,
        funding_stream,
        activity,
        coalesce(host_icb_activity, 0) as host_icb_activity,
        coalesce(outside_host_activity, 0) as outside_host_activity,
        coalesce(outside_current_host_activity, 0) as outside_current_host_activity,
        coalesce(unattributed_activity, 0) as unattributed_activity,
        coalesce(host_fallback_activity, 0) as host_fallback_activity,
        price_gbp,
        coalesce(host_icb_gbp, 0) as host_icb_gbp,
        coalesce(outside_host_gbp, 0) as outside_host_gbp,
        coalesce(outside_current_host_gbp, 0) as outside_current_host_gbp,
        coalesce(unattributed_gbp, 0) as unattributed_gbp,
        coalesce(host_fallback_gbp, 0) as host_fallback_gbp,
        nullif(activity - coalesce(unattributed_activity, 0), 0) as attributed_activity,
        nullif(price_gbp - coalesce(unattributed_gbp, 0), 0) as attributed_gbp
    from per_provider
),

final as (
    select
        {{ surrogate_key(['provider_code', 'financial_year', 'funding_stream']) }}
            as provider_out_of_area_share_key,
        provider_code,
        provider_name,
        host_icb_code,
        host_current_icb_code,
        financial_year,
        funding_stream,
        cast(activity as decimal(38, 3)) as activity,
        cast(host_icb_activity as decimal(38, 3)) as host_icb_activity,
        cast(outside_host_activity as decimal(38, 3)) as outside_host_activity,
        cast(unattributed_activity as decimal(38, 3)) as unattributed_activity,
        cast(host_fallback_activity as decimal(38, 3)) as host_fallback_activity,
        cast(price_gbp as decimal(38, 2)) as price_gbp,
        cast(host_icb_gbp as decimal(38, 2)) as host_icb_gbp,
        cast(outside_host_gbp as decimal(38, 2)) as outside_host_gbp,
        cast(unattributed_gbp as decimal(38, 2)) as unattributed_gbp,
        cast(host_fallback_gbp as decimal(38, 2)) as host_fallback_gbp,
        case
            when attributed_activity > 0
                then {{ round_quotient('100.0 * outside_host_activity', 'attributed_activity') }}
        end as outside_host_activity_pct,
        case
            when attributed_gbp > 0 then {{ round_quotient('100.0 * outside_host_gbp', 'attributed_gbp') }}
        end as outside_host_gbp_pct,
        case
            when attributed_activity > 0
                then {{ round_quotient('100.0 * outside_current_host_activity', 'attributed_activity') }}
        end as outside_current_host_activity_pct,
        case
            when attributed_gbp > 0 then {{ round_quotient('100.0 * outside_current_host_gbp', 'attributed_gbp') }}
        end as outside_current_host_gbp_pct,
        nullif(
            concat_ws(
                '; ',
                case
                    when coalesce(attributed_activity, 0) <= 0
                        then 'activity shares not computed: the attributed activity is zero or negative'
                end,
                case
                    when coalesce(attributed_gbp, 0) <= 0
                        then 'pound shares not computed: the attributed pounds are zero or negative'
                end
            ),
            ''
        ) as shares_not_computed_reason
    from attributed
)

select * from final
