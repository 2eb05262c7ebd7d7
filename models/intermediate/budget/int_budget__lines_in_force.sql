{#- The budget in force: the good lines (no problem) of the latest received file of each ICB ×
    financial year, each with its scope and the lines of the same file it overlaps. A line
    covers one funding stream in one month and either a service line, a national programme of
    care (service line blank), or the whole stream (both blank); a budget_line (`drugs and
    devices`, `block`) marks money beyond the activity the feeds report, and such a line only
    overlaps lines of the same budget_line. Two lines overlap when they are for the same month,
    stream and budget_line and: one is the whole stream; or both name the same service line,
    or the same programme with no service line; or one names a programme and the other a
    service line of that programme (seed service_codes). An overlap is a data-quality failure
    (dq_budget_line_overlaps, a warning test), not a reason to drop or guess: the plan takes
    the lines as the ICB wrote them. plan_icb_code is the ICB the line's month belongs to on the
    boundaries in force (int_icb__years_in_force): the budget's own ICB, or after a merger its
    successor, so a dissolved ICB's budget adds to its successor's plan, never to a plan of an
    ICB no longer in force (docs/decisions/0018-mergers-the-icb-in-force.md). -#}
with

lines_placed as (
    select
        file_id,
        source_file,
        source_row,
        file_version,
        received_at,
        icb_code,
        financial_year,
        financial_month,
        funding_stream,
        service_line_code,
        npoc_code,
        budget_line,
        budget_gbp
    from {{ ref('int_budget__lines_placed') }}
    where is_in_force and problem is null
),

years_in_force as (
    select
        code,
        financial_year,
        icb_code,
        from_financial_month,
        to_financial_month
    from {{ ref('int_icb__years_in_force') }}
),

service_lines as (
    select
        service_line_code,
        npoc_code
    from {{ ref('stg_reference__service_lines') }}
),

scoped as (
    select
        lines_placed.*,
        case
            when lines_placed.service_line_code is not null then 'service_line'
            when lines_placed.npoc_code is not null then 'programme_of_care'
            else 'funding_stream'
        end as line_scope,
        coalesce(lines_placed.npoc_code, service_lines.npoc_code) as scope_npoc_code,
        coalesce(lines_placed.budget_line, '') as budget_line_key
    from lines_placed
    left join service_lines
        on lines_placed.service_line_code = service_lines.service_line_code
),

line_overlaps as (
    select
        this_line.file_id,
        this_line.source_row,
        {{ ordered_string_agg('cast(other_line.source_row as ' ~ type_text() ~ ')', ', ', 'other_line.source_row') }}
            as overlapping_source_rows
    from scoped as this_line
    inner join scoped as other_line
        on
            this_line.file_id = other_line.file_id
            and this_line.source_row != other_line.source_row
            and this_line.financial_month = other_line.financial_month
            and this_line.funding_stream = other_line.funding_stream
            and this_line.budget_line_key = other_line.budget_line_key
            and (
                this_line.line_scope = 'funding_stream'
                or other_line.line_scope = 'funding_stream'
                or this_line.service_line_code = other_line.service_line_code
                or (
                    this_line.line_scope = 'programme_of_care'
                    and other_line.line_scope = 'programme_of_care'
                    and this_line.npoc_code = other_line.npoc_code
                )
                or (
                    this_line.line_scope = 'programme_of_care'
                    and other_line.line_scope = 'service_line'
                    and this_line.npoc_code = other_line.scope_npoc_code
                )
                or (
                    this_line.line_scope = 'service_line'
                    and other_line.line_scope = 'programme_of_care'
                    and this_line.scope_npoc_code = other_line.npoc_code
                )
            )
    group by this_line.file_id, this_line.source_row
),

final as (
    select
        scoped.file_id,
        scoped.source_file,
        scoped.source_row,
        scoped.file_version,
        scoped.received_at,
        scoped.icb_code,
        coalesce(years_in_force.icb_code, scoped.icb_code) as plan_icb_code,
        scoped.financial_year,
        scoped.financial_month,
        scoped.funding_stream,
        scoped.line_scope,
        scoped.service_line_code,
        scoped.npoc_code,
        scoped.budget_line,
        scoped.budget_line is not null as is_beyond_feeds,
        scoped.budget_gbp,
        line_overlaps.overlapping_source_rows
    from scoped
    left join line_overlaps
        on
            scoped.file_id = line_overlaps.file_id
            and scoped.source_row = line_overlaps.source_row
    left join years_in_force
        on
            scoped.icb_code = years_in_force.code
            and scoped.financial_year = years_in_force.financial_year
            and scoped.financial_month
            between years_in_force.from_financial_month and years_in_force.to_financial_month
)

select * from final
