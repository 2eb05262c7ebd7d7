{#- SLAM and SUS side by side per triangulation cell: one row per provider × service line ×
    point of delivery × financial year × month that either feed holds, with SLAM activity,
    pounds and rows (Actual rows) and the count of SUS records, their tariff pounds and the
    records priced, and whether each feed reported the cell's period (is_slam_submitted,
    is_sus_extracted; macros/triangulation/). A step of rpt_triangulation_activity. -#}
{%- set cell_keys = ['provider_code', 'service_line_code', 'pod_code', 'financial_year', 'financial_month'] %}

with

fct_contract_activity as (
    select
        provider_code,
        service_line_code,
        pod_code,
        financial_year,
        financial_month,
        activity,
        price
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual'
),

fct_sus_activity as (
    select
        provider_code,
        service_line_code,
        pod_code,
        financial_year,
        financial_month,
        tariff_price
    from {{ ref('fct_sus_activity') }}
),

slam_cells as (
    select
        provider_code,
        coalesce(service_line_code, {{ unknown_code() }}) as service_line_code,
        coalesce(pod_code, {{ unknown_code() }}) as pod_code,
        financial_year,
        financial_month,
        coalesce(sum(activity), 0) as slam_activity,
        cast(coalesce(sum(price), 0) as decimal(38, 2)) as slam_price_gbp,
        count(*) as slam_rows
    from fct_contract_activity
    group by
        provider_code,
        coalesce(service_line_code, {{ unknown_code() }}),
        coalesce(pod_code, {{ unknown_code() }}),
        financial_year,
        financial_month
),

-- SUS records without a service line are not specialised activity and never appear in SLAM.
sus_cells as (
    select
        provider_code,
        service_line_code,
        coalesce(pod_code, {{ unknown_code() }}) as pod_code,
        financial_year,
        financial_month,
        count(*) as sus_activity,
        cast(coalesce(sum(tariff_price), 0) as decimal(38, 2)) as sus_tariff_gbp,
        count(tariff_price) as sus_priced_records
    from fct_sus_activity
    where service_line_code is not null and provider_code is not null
    group by
        provider_code,
        service_line_code,
        coalesce(pod_code, {{ unknown_code() }}),
        financial_year,
        financial_month
),

cells as (
    {{ cells_side_by_side(
        'slam_cells', 'sus_cells', cell_keys,
        ['slam_activity', 'slam_price_gbp', 'slam_rows'], ['sus_activity', 'sus_tariff_gbp', 'sus_priced_records']
    ) }}
),

final as (
    {{ with_periods_reported('cells', sus_rows='fct_sus_activity') }}
)

select * from final
