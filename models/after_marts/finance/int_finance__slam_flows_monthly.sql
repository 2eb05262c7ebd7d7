{#- SLAM money by flow and month: current Actual rows summed per provider × attributed ICB ×
    funding stream × financial year × month (unattributed rows under ICB UNKNOWN). The base of
    the completeness estimates, the low-volume flows and the movements. -#}
with

fct_contract_activity as (
    select
        provider_code,
        attributed_icb_code,
        funding_stream,
        financial_year,
        financial_month,
        activity,
        price
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual'
),

final as (
    select
        provider_code,
        coalesce(attributed_icb_code, {{ unknown_code() }}) as icb_code,
        funding_stream,
        financial_year,
        financial_month,
        cast(coalesce(sum(price), 0) as decimal(38, 2)) as actual_gbp,
        cast(coalesce(sum(activity), 0) as decimal(38, 3)) as actual_activity,
        count(*) as contract_rows
    from fct_contract_activity
    group by
        provider_code,
        coalesce(attributed_icb_code, {{ unknown_code() }}),
        funding_stream,
        financial_year,
        financial_month
)

select * from final
