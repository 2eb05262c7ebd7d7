{#- Plan movements between the versions of each ICB's budget (landing feed budget/): every
    received version of an ICB × financial year, per funding stream, with its total, the
    version before it and the movement. The version in force (the latest received) is the plan
    of fct_icb_spend_monthly; the earlier ones are kept here. Only good lines count (a held-back
    row is in dq.quarantined_rows). -#}
with

lines_placed as (
    select
        file_id,
        source_file,
        file_icb_code,
        file_financial_year,
        file_version,
        received_at,
        version_rank,
        funding_stream,
        budget_line,
        budget_gbp,
        problem
    from {{ ref('int_budget__lines_placed') }}
),

footprint as (
    select
        icb_code,
        icb_name,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

versions as (
    select distinct
        file_id,
        source_file,
        file_icb_code,
        file_financial_year,
        file_version,
        received_at,
        version_rank
    from lines_placed
),

streams as (
    select distinct
        file_icb_code,
        file_financial_year,
        funding_stream
    from lines_placed
    where problem is null
),

totals as (
    select
        file_id,
        funding_stream,
        count(*) as budget_lines,
        sum(budget_gbp) as budget_gbp,
        sum(case when budget_line is not null then budget_gbp else 0 end) as budget_not_covered_by_feeds_gbp
    from lines_placed
    where problem is null
    group by file_id, funding_stream
),

version_streams as (
    select
        versions.file_icb_code as icb_code,
        versions.file_financial_year as financial_year,
        streams.funding_stream,
        versions.source_file as budget_file,
        versions.file_version as budget_version,
        versions.received_at,
        versions.version_rank,
        versions.file_id,
        coalesce(totals.budget_lines, 0) as budget_lines,
        cast(coalesce(totals.budget_gbp, 0) as decimal(38, 2)) as budget_gbp,
        cast(coalesce(totals.budget_not_covered_by_feeds_gbp, 0) as decimal(38, 2))
            as budget_not_covered_by_feeds_gbp
    from versions
    inner join streams
        on
            versions.file_icb_code = streams.file_icb_code
            and versions.file_financial_year = streams.file_financial_year
    left join totals
        on
            versions.file_id = totals.file_id
            and streams.funding_stream = totals.funding_stream
),

with_previous as (
    select
        version_streams.*,
        lag(version_streams.budget_file) over version_order as previous_budget_file,
        lag(version_streams.budget_gbp) over version_order as previous_budget_gbp
    from version_streams
    window version_order as (
        partition by version_streams.icb_code, version_streams.financial_year, version_streams.funding_stream
        order by version_streams.received_at, version_streams.file_id
    )
),

final as (
    select
        {{ surrogate_key([
            'with_previous.icb_code', 'with_previous.financial_year', 'with_previous.funding_stream',
            'with_previous.budget_file'
        ]) }} as budget_movement_key,
        with_previous.icb_code,
        footprint.icb_name,
        coalesce(footprint.is_in_footprint, false) as is_in_footprint,
        with_previous.financial_year,
        with_previous.funding_stream,
        with_previous.budget_file,
        with_previous.budget_version,
        with_previous.received_at,
        with_previous.version_rank = 1 as is_in_force,
        with_previous.budget_lines,
        with_previous.budget_gbp,
        with_previous.budget_not_covered_by_feeds_gbp,
        with_previous.previous_budget_file,
        with_previous.previous_budget_gbp,
        with_previous.budget_gbp - with_previous.previous_budget_gbp as movement_gbp
    from with_previous
    left join footprint
        on with_previous.icb_code = footprint.icb_code
)

select * from final
