{#- The rows of the ICB variation's rates: every footprint ICB in force in a financial year ×
    every specialised service line with SLAM Actual activity for a footprint ICB that year (an
    ICB with none has a real rate of 0), plus every ICB outside the footprint × line with
    activity (int_finance__icb_line_actuals). Grain: ICB × service line × financial year, with
    the line's funding stream. A step of int_finance__icb_line_rates. -#}
with

icb_lines as (
    select
        icb_code,
        service_line_code,
        financial_year,
        funding_stream
    from {{ ref('int_finance__icb_line_actuals') }}
),

footprint as (
    select
        icb_code,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

footprint_years as (
    select
        icb_code,
        financial_year
    from {{ ref('int_reference__footprint_years') }}
    where is_in_footprint
),

footprint_lines as (
    select distinct
        icb_lines.service_line_code,
        icb_lines.financial_year,
        icb_lines.funding_stream
    from icb_lines
    inner join footprint
        on icb_lines.icb_code = footprint.icb_code
    where footprint.is_in_footprint
),

final as (
    select
        footprint_years.icb_code,
        footprint_lines.service_line_code,
        footprint_lines.financial_year,
        footprint_lines.funding_stream
    from footprint_years
    inner join footprint_lines
        on footprint_years.financial_year = footprint_lines.financial_year
    union
    select
        icb_code,
        service_line_code,
        financial_year,
        funding_stream
    from icb_lines
)

select * from final
