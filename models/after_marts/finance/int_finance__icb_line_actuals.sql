{#- SLAM Actual activity and pounds per attributed ICB × specialised service line × financial
    year (int_reference__specialised_service_lines; unattributed rows and rows without a
    service line left out), with the line's funding stream. A step of
    int_finance__icb_line_rates. -#}
with

fct_contract_activity as (
    select
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
        fct_contract_activity.attributed_icb_code as icb_code,
        fct_contract_activity.service_line_code,
        fct_contract_activity.financial_year,
        max(fct_contract_activity.funding_stream) as funding_stream,
        cast(coalesce(sum(fct_contract_activity.price), 0) as decimal(38, 2)) as spend_gbp,
        cast(coalesce(sum(fct_contract_activity.activity), 0) as decimal(38, 3)) as activity
    from fct_contract_activity
    inner join specialised_lines
        on fct_contract_activity.service_line_code = specialised_lines.service_line_code
    group by
        fct_contract_activity.attributed_icb_code,
        fct_contract_activity.service_line_code,
        fct_contract_activity.financial_year
)

select * from final
