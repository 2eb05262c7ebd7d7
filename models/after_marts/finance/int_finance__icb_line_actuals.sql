{#- SLAM Actual activity and pounds per attributed ICB × specialised service line × financial
    year, with the line's funding stream: the providers' actuals
    (int_finance__icb_line_provider_actuals) added up. A step of int_finance__icb_line_rates. -#}
with

provider_lines as (
    select
        icb_code,
        service_line_code,
        funding_stream,
        financial_year,
        line_actual_gbp,
        line_actual_activity
    from {{ ref('int_finance__icb_line_provider_actuals') }}
),

final as (
    select
        icb_code,
        service_line_code,
        financial_year,
        max(funding_stream) as funding_stream,
        cast(coalesce(sum(line_actual_gbp), 0) as decimal(38, 2)) as spend_gbp,
        cast(coalesce(sum(line_actual_activity), 0) as decimal(38, 3)) as activity
    from provider_lines
    group by icb_code, service_line_code, financial_year
)

select * from final
