{#- The contract's plan and actual per provider × service line × financial year × month: current
    SLAM Plan rows (the contract plan the provider states) and Actual rows, summed. -#}
with

fct_contract_activity as (
    select
        provider_code,
        service_line_code,
        funding_stream,
        financial_year,
        financial_month,
        record_type,
        activity,
        price
    from {{ ref('fct_contract_activity') }}
),

final as (
    select
        provider_code,
        coalesce(service_line_code, 'UNKNOWN') as service_line_code,
        financial_year,
        financial_month,
        max(funding_stream) as funding_stream,
        cast(coalesce(sum(activity) filter (where record_type = 'Plan'), 0) as decimal(38, 3)) as plan_activity,
        cast(coalesce(sum(activity) filter (where record_type = 'Actual'), 0) as decimal(38, 3)) as actual_activity,
        cast(coalesce(sum(price) filter (where record_type = 'Plan'), 0) as decimal(38, 2)) as plan_gbp,
        cast(coalesce(sum(price) filter (where record_type = 'Actual'), 0) as decimal(38, 2)) as actual_gbp,
        count(*) filter (where record_type = 'Plan') as plan_rows,
        count(*) filter (where record_type = 'Actual') as actual_rows
    from fct_contract_activity
    group by
        provider_code,
        coalesce(service_line_code, 'UNKNOWN'),
        financial_year,
        financial_month
)

select * from final
