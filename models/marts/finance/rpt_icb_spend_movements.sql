{#- What moved: one row per provider × ICB × funding stream × financial year × month of every
    flow this build or the last one knew, with this build's figure (the actual, or the estimate
    of a missing month), the previous month's figure for the same flow (month on month) and the
    last build's figure (since the last night), and why it moved: new_month, estimate_replaced,
    restated (a later file), estimate_revised, reference_change (same file, figure changed:
    reference data or rules), new_flow, withdrawn, unchanged, or first_build. Summed by ICB ×
    stream it explains why fct_icb_spend_monthly's year to date and forecast moved. Stages:
    int_finance__spend_snapshots, int_finance__spend_snapshot_pairs. Method:
    docs/marts/spend-movements.md. -#}
with

paired as (
    select
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        built_at,
        current_gbp,
        is_estimate,
        source_file,
        last_build_gbp,
        was_estimate,
        last_build_source_file,
        has_previous_build,
        last_built_at,
        reached_month
    from {{ ref('int_finance__spend_snapshot_pairs') }}
),

footprint as (
    select
        icb_code,
        icb_name,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

dim_provider as (
    select
        provider_code,
        provider_name
    from {{ ref('dim_provider') }}
    where not is_unknown_member
),

month_on_month as (
    select
        paired.*,
        lag(paired.current_gbp) over flow_months as previous_month_gbp,
        lag(paired.financial_month) over flow_months as previous_month
    from paired
    window flow_months as (
        partition by paired.provider_code, paired.icb_code, paired.funding_stream, paired.financial_year
        order by paired.financial_month
    )
),

classified as (
    select
        month_on_month.*,
        case
            when not month_on_month.has_previous_build then 'first_build'
            when month_on_month.current_gbp is null then 'withdrawn'
            when month_on_month.last_build_gbp is null
                then
                    case
                        when month_on_month.financial_month > coalesce(month_on_month.reached_month, 0)
                            then 'new_month'
                        else 'new_flow'
                    end
            when month_on_month.was_estimate and not month_on_month.is_estimate then 'estimate_replaced'
            when month_on_month.current_gbp = month_on_month.last_build_gbp then 'unchanged'
            when month_on_month.is_estimate then 'estimate_revised'
            when coalesce(month_on_month.source_file, '') != coalesce(month_on_month.last_build_source_file, '')
                then 'restated'
            else 'reference_change'
        end as movement
    from month_on_month
),

final as (
    select
        {{ surrogate_key([
            'classified.provider_code', 'classified.icb_code', 'classified.funding_stream',
            'classified.financial_year', 'classified.financial_month'
        ]) }} as spend_movement_key,
        classified.icb_code,
        footprint.icb_name,
        coalesce(footprint.is_in_footprint, false) as is_in_footprint,
        classified.funding_stream,
        classified.financial_year,
        classified.financial_month,
        classified.provider_code,
        dim_provider.provider_name,
        coalesce(classified.current_gbp, 0) as current_gbp,
        coalesce(classified.is_estimate, false) as is_estimate,
        classified.source_file,
        case
            when classified.previous_month = classified.financial_month - 1 then classified.previous_month_gbp
        end as previous_month_gbp,
        case
            when classified.previous_month = classified.financial_month - 1
                then coalesce(classified.current_gbp, 0) - classified.previous_month_gbp
        end as month_on_month_gbp,
        classified.last_build_gbp,
        coalesce(classified.was_estimate, false) as was_estimate,
        classified.last_build_source_file,
        case
            when classified.has_previous_build
                then coalesce(classified.current_gbp, 0) - coalesce(classified.last_build_gbp, 0)
        end as since_last_build_gbp,
        classified.movement,
        classified.last_built_at
    from classified
    left join footprint
        on classified.icb_code = footprint.icb_code
    left join dim_provider
        on classified.provider_code = dim_provider.provider_code
)

select * from final
