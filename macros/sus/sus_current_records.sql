{#- The SQL of int_sus__current_records, shared with fct_sus_activity: the current SUS
    records (latest extract of each dataset and month, first row of each record id) with ICB
    codes validated for the activity month, the attribution and the funding stream.
    only_slices_to_rebuild_in: as for sus_records_placed. -#}
{% macro sus_current_records(only_slices_to_rebuild_in=none) -%}
with

records_placed as (
    select
        {{ star(ref('stg_sus__records'), 'placed') }},
        {{ sus_placement_columns('placed') }}
    from ({{ sus_records_placed(only_slices_to_rebuild_in) }}) as placed
    where
        placed.is_current_extract
        and placed.occurrence_in_extract = 1
),

with_month as (
    select
        {{ star(ref('stg_sus__records'), 'records_placed') }},
        {{ sus_placement_columns('records_placed') }},
        coalesce(date_trunc('month', records_placed.activity_date), records_placed.file_month_start)
            as activity_month_start
    from records_placed
),

validated as (
    select
        {{ star(ref('stg_sus__records'), 'with_month') }},
        {{ sus_placement_columns('with_month') }},
        with_month.activity_month_start,
        {{ icbs_in_force_columns() }},
        {{ funding_stream_column() }}
    from with_month
    {{ join_icbs_in_force('with_month', 'with_month.activity_month_start') }}
    {{ join_service_line_status('with_month.service_line_code', 'with_month.financial_year') }}
),

final as (
    select
        {{ star(ref('stg_sus__records'), 'validated') }},
        {{ sus_placement_columns('validated') }},
        validated.activity_month_start,
        validated.registration_icb_valid,
        validated.residence_icb_valid,
        validated.host_icb_valid,
        validated.icb_code_superseded,
        validated.funding_stream,
        {{ attribution_columns('validated') }}
    from validated
)

select * from final
{%- endmacro %}
