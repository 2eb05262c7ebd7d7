{#- SLAM Actual activity and pounds per provider × attributed ICB × specialised service line ×
    funding stream × financial year (int_reference__specialised_service_lines; unattributed rows
    and rows without a service line left out). A step of the ICB variation's rates: the ICB's
    lines (int_finance__icb_line_actuals) and the share of each flow's estimate a line takes
    (int_finance__icb_line_estimates). -#}
with

fct_contract_activity as (
    select
        provider_code,
        attributed_icb_code,
        service_line_code,
        funding_stream,
        financial_year,
        activity,
        price
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual' and attributed_icb_code is not null and service_line_code is not null
),

specialised_lines as (
    select service_line_code
    from {{ ref('int_reference__specialised_service_lines') }}
),

final as (
    select
        fct_contract_activity.provider_code,
        fct_contract_activity.attributed_icb_code as icb_code,
        fct_contract_activity.service_line_code,
        fct_contract_activity.funding_stream,
        fct_contract_activity.financial_year,
        sum(fct_contract_activity.price) as line_actual_gbp,
        sum(fct_contract_activity.activity) as line_actual_activity
    from fct_contract_activity
    inner join specialised_lines
        on fct_contract_activity.service_line_code = specialised_lines.service_line_code
    group by
        fct_contract_activity.provider_code,
        fct_contract_activity.attributed_icb_code,
        fct_contract_activity.service_line_code,
        fct_contract_activity.funding_stream,
        fct_contract_activity.financial_year
)

select * from final
