{#- The rows of a cross-dataset (triangulation) check, written once for its check models: one
    row per cell of `mart` that was compared (cells that cannot be compared are left to other
    checks), for the slices in dq_check_scope, in the columns every check model has. A cell is
    no landing row (source_file, source_row, record_ref NULL); fails_<check_id> is the mart's
    is_flagged (the rule "beyond both thresholds" stays in the mart, macros/triangulation/).
    `columns`: the mart's columns that context and variance_raw (SQL over them) need. -#}
{% macro triangulation_check_rows(
    mart,
    check_id,
    columns,
    context,
    variance_raw,
    service_line_code='cast(null as ' ~ type_text() ~ ')',
    pod_code='cast(null as ' ~ type_text() ~ ')'
) -%}
with

cells as (
    select
        cells.provider_code,
        cells.financial_year,
        cells.financial_month,
        {%- for column in columns %}
        cells.{{ column }},
        {%- endfor %}
        cells.is_flagged
    from {{ ref(mart) }} as cells
    where
        cells.is_compared
        and {{ in_dq_check_scope('cells.financial_year', 'cells.financial_month') }}
),

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        cast(null as {{ type_text() }}) as source_file,
        cast(null as integer) as source_row,
        cast(null as {{ type_text() }}) as record_ref,
        {{ service_line_code }} as service_line_code,
        {{ pod_code }} as pod_code,
        {{ context }} as context,
        {{ variance_raw }} as variance_raw,
        coalesce(is_flagged, false) as fails_{{ check_id }}
    from cells
)

select * from final
{%- endmacro %}
