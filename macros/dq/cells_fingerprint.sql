{#- What a cross-dataset check of a slice depends on: a hash of the slice's cells of a mart
    (the alias is the whole row, cast to text), one part per provider x financial year x month.
    The SQL of the dq_fingerprint_triangulation_* check models. -#}
{% macro cells_fingerprint(mart, label) -%}
with

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        '{{ label }} ' || md5(string_agg(cast(cells as varchar), '|' order by cast(cells as varchar))) as part,
        count(*) as row_count
    from {{ ref(mart) }} as cells  -- noqa: AL05
    group by provider_code, financial_year, financial_month
)

select * from final
{%- endmacro %}
