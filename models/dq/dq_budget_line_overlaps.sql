{#- Budget lines in force that overlap another line of their file (int_budget__lines_in_force):
    the ICB's finance team corrects the file; until then the plan takes the lines as written,
    so the month's plan may count the same money twice. A warning test on this model makes
    the build say so; nothing fails. -#}
with

lines_in_force as (
    select
        file_id,
        source_file,
        source_row,
        icb_code,
        financial_year,
        financial_month,
        funding_stream,
        line_scope,
        service_line_code,
        npoc_code,
        budget_line,
        budget_gbp,
        overlapping_source_rows
    from {{ ref('int_budget__lines_in_force') }}
    where overlapping_source_rows is not null
),

final as (
    select
        file_id,
        source_file,
        source_row,
        icb_code,
        financial_year,
        financial_month,
        funding_stream,
        line_scope,
        service_line_code,
        npoc_code,
        budget_line,
        budget_gbp,
        overlapping_source_rows,
        'row ' || cast(source_row as {{ type_text() }}) || ' (' || line_scope || ') overlaps row(s) '
        || overlapping_source_rows || ' in month ' || cast(financial_month as {{ type_text() }})
        || ', stream ' || funding_stream as detail
    from lines_in_force
)

select * from final
