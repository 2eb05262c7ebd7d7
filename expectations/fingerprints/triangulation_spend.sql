-- The spend triangulation cells of the slice, by content (they depend on SLAM and the ledger).
select
    provider_code,
    financial_year,
    financial_month,
    'spend-cells ' || md5(string_agg(cast(cells as varchar), '|' order by cast(cells as varchar))) as part,
    count(*) as row_count
from marts.rpt_triangulation_spend as cells
group by provider_code, financial_year, financial_month
