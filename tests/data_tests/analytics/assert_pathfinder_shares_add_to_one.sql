-- Attribution coverage in rpt_pathfinder_scope: the shares of each provider-month add up to 1
-- (to rounding: six decimals per row), unless the provider-month's pounds net to zero.
with

provider_months as (
    select
        provider_code,
        financial_year,
        financial_month,
        sum(price_gbp) as provider_month_gbp,
        sum(share_of_provider_month_gbp) as total_share,
        count(*) as mart_rows
    from {{ ref('rpt_pathfinder_scope') }}
    group by provider_code, financial_year, financial_month
),

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        provider_month_gbp,
        total_share
    from provider_months
    where provider_month_gbp != 0 and abs(total_share - 1) > 0.000001 * mart_rows
)

select * from final
