{#- What the activity triangulation check of a slice depends on: the slice's cells of
    rpt_triangulation_activity, by content (the alias is the whole row, cast to text). -#}
with

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        'activity-cells ' || md5(string_agg(cast(cells as varchar), '|' order by cast(cells as varchar))) as part,
        count(*) as row_count
    from {{ ref('rpt_triangulation_activity') }} as cells  -- noqa: AL05
    group by provider_code, financial_year, financial_month
)

select * from final
