-- The triangulation cells of the slice, by content (they depend on SLAM and SUS together).
select
    provider_code,
    financial_year,
    financial_month,
    'activity-cells ' || md5(string_agg(cast(cells as varchar), '|' order by cast(cells as varchar))) as part,
    count(*) as row_count
from marts.rpt_triangulation_activity as cells
group by provider_code, financial_year, financial_month
