{#- What moved: one row per provider × ICB × funding stream × financial year × month of every
    flow this build or the last one knew, with this build's figure (the actual, or the estimate
    of a missing month), the previous month's figure for the same flow (month on month) and the
    last build's figure (since the last night), and why it moved: new_month, estimate_replaced,
    restated (a later file), estimate_revised, reference_change (same file, figure changed:
    reference data or rules), new_flow, withdrawn, unchanged, or first_build. Summed by ICB ×
    stream it explains why fct_icb_spend_monthly's year to date and forecast moved. Stage:
    int_finance__spend_snapshots. Method: docs/marts/spend-movements.md. -#}
with

snapshots as (
    select
        snapshot_slot,
        built_at,
        provider_code,
        icb_code,
        funding_stream,
        financial_year,
        financial_month,
        is_submitted,
        actual_gbp,
        estimated_gbp,
        winning_file
    from {{ ref('int_finance__spend_snapshots') }}
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

current_slot as (
    select
        snapshots.*,
        coalesce(snapshots.actual_gbp, 0) + snapshots.estimated_gbp as figure_gbp
    from snapshots
    where snapshots.snapshot_slot = 'current'
),

previous_slot as (
    select
        snapshots.*,
        coalesce(snapshots.actual_gbp, 0) + snapshots.estimated_gbp as figure_gbp
    from snapshots
    where snapshots.snapshot_slot = 'previous'
),

has_previous as (
    select
        count(*) > 0 as has_previous_build,
        max(built_at) as last_built_at
    from previous_slot
),

-- The previous year-month a previous build stated for the provider (any flow): a month it did
-- not reach then is new now, not a new flow.
previous_reach as (
    select
        provider_code,
        financial_year,
        max(financial_month) as reached_month
    from previous_slot
    group by provider_code, financial_year
),

paired as (
    select
        coalesce(current_slot.provider_code, previous_slot.provider_code) as provider_code,
        coalesce(current_slot.icb_code, previous_slot.icb_code) as icb_code,
        coalesce(current_slot.funding_stream, previous_slot.funding_stream) as funding_stream,
        coalesce(current_slot.financial_year, previous_slot.financial_year) as financial_year,
        coalesce(current_slot.financial_month, previous_slot.financial_month) as financial_month,
        current_slot.built_at,
        current_slot.figure_gbp as current_gbp,
        not current_slot.is_submitted as is_estimate,
        current_slot.winning_file as source_file,
        previous_slot.figure_gbp as last_build_gbp,
        not previous_slot.is_submitted as was_estimate,
        previous_slot.winning_file as last_build_source_file
    from current_slot
    full outer join previous_slot
        on
            current_slot.provider_code = previous_slot.provider_code
            and current_slot.icb_code = previous_slot.icb_code
            and current_slot.funding_stream = previous_slot.funding_stream
            and current_slot.financial_year = previous_slot.financial_year
            and current_slot.financial_month = previous_slot.financial_month
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
        has_previous.has_previous_build,
        has_previous.last_built_at,
        case
            when not has_previous.has_previous_build then 'first_build'
            when month_on_month.current_gbp is null then 'withdrawn'
            when month_on_month.last_build_gbp is null
                then
                    case
                        when month_on_month.financial_month > coalesce(previous_reach.reached_month, 0)
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
    cross join has_previous
    left join previous_reach
        on
            month_on_month.provider_code = previous_reach.provider_code
            and month_on_month.financial_year = previous_reach.financial_year
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
