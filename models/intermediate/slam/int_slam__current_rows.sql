{#- The current SLAM rows: those of the winning file of their slice, with ICB codes resolved and
    validated for the row's month, the attribution, and the funding stream of the service line
    in the row's financial year. -#}
{%- set build_columns = ['reference_fingerprint', 'build_invocation_id'] %}

with

rows_placed as (
    select {{ star(ref('int_slam__rows_placed'), except=build_columns) }}
    from {{ ref('int_slam__rows_placed') }}
),

slice_winners as (
    select
        provider_code,
        financial_year,
        financial_month,
        winning_file_id
    from {{ ref('int_slam__slice_winners') }}
),

current_rows as (
    select
        {{ star(ref('int_slam__rows_placed'), 'rows_placed', except=build_columns) }},
        {{ date_of_financial_period('rows_placed.placed_financial_year', 'rows_placed.placed_financial_month') }}
            as period_start
    from rows_placed
    inner join slice_winners
        on
            rows_placed.file_id = slice_winners.winning_file_id
            and rows_placed.file_provider_code = slice_winners.provider_code
            and rows_placed.placed_financial_year = slice_winners.financial_year
            and rows_placed.placed_financial_month = slice_winners.financial_month
),

validated as (
    select
        {{ star(ref('int_slam__rows_placed'), 'current_rows', except=build_columns) }},
        current_rows.period_start,
        {{ icbs_in_force_columns() }},
        {{ funding_stream_column() }}
    from current_rows
    {{ join_icbs_in_force('current_rows', 'current_rows.period_start') }}
    {{ join_service_line_status('current_rows.service_line_code', 'current_rows.placed_financial_year') }}
),

final as (
    select
        {{ star(ref('int_slam__rows_placed'), 'validated', except=build_columns) }},
        validated.period_start,
        validated.registration_icb_valid,
        validated.residence_icb_valid,
        validated.host_icb_valid,
        validated.icb_code_superseded,
        validated.funding_stream,
        {{ attribution_columns('validated') }}
    from validated
)

select * from final
