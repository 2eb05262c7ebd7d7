{#- Each flow-month of this build beside the last build's: one row per provider × ICB × funding
    stream × financial year × month that either build knew (int_finance__spend_snapshots, slots
    current and previous), with each build's figure (the actual, or the estimate of a missing
    month), whether it was an estimate and its winning file, whether there is a previous build,
    and the last month the previous build reached for the provider and year. A step of
    rpt_icb_spend_movements. -#}
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

-- a flow-month's figure: its actual, or the estimate of a missing month
slots as (
    select
        snapshots.*,
        coalesce(snapshots.actual_gbp, 0) + snapshots.estimated_gbp as figure_gbp
    from snapshots
),

current_slot as (
    select slots.* from slots
    where slots.snapshot_slot = 'current'
),

previous_slot as (
    select slots.* from slots
    where slots.snapshot_slot = 'previous'
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

pairs as (
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

final as (
    select
        pairs.*,
        has_previous.has_previous_build,
        has_previous.last_built_at,
        previous_reach.reached_month
    from pairs
    cross join has_previous
    left join previous_reach
        on
            pairs.provider_code = previous_reach.provider_code
            and pairs.financial_year = previous_reach.financial_year
)

select * from final
