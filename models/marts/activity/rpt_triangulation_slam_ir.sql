{#- SLAM against the identification rules: each provider's SLAM activity (Actual rows) per
    service line × financial year × month against the SUS records the rules assign to that line
    (derived_service_line_code), beside the SUS records supplied with that line. SLAM lines are
    the provider's own assignment; a gap on the derived side that the supplied side does not show
    points at the provider's service-line assignment rather than at its counting. Only points of
    delivery SUS records (admitted and outpatient spells and attendances) count on the SLAM side,
    and only provider-months with a SLAM submission and a SUS extract are compared. -#}
{%- set cell_keys = ['provider_code', 'service_line_code', 'financial_year', 'financial_month'] %}

with

fct_contract_activity as (
    select
        provider_code,
        service_line_code,
        pod_code,
        financial_year,
        financial_month,
        activity
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual'
),

fct_sus_activity as (
    select
        provider_code,
        service_line_code,
        derived_service_line_code,
        financial_year,
        financial_month
    from {{ ref('fct_sus_activity') }}
    where provider_code is not null
),

dim_point_of_delivery as (
    select pod_code
    from {{ ref('dim_point_of_delivery') }}
    where
        not is_unknown_member
        and setting in ('admitted', 'outpatient')
        and unit_of_activity in ('spell', 'attendance')
),

slam_lines as (
    select
        fct_contract_activity.provider_code,
        fct_contract_activity.service_line_code,
        fct_contract_activity.financial_year,
        fct_contract_activity.financial_month,
        coalesce(sum(fct_contract_activity.activity), 0) as slam_activity
    from fct_contract_activity
    inner join dim_point_of_delivery
        on fct_contract_activity.pod_code = dim_point_of_delivery.pod_code
    where
        fct_contract_activity.service_line_code is not null
        and fct_contract_activity.service_line_code <> '99999999'
    group by
        fct_contract_activity.provider_code,
        fct_contract_activity.service_line_code,
        fct_contract_activity.financial_year,
        fct_contract_activity.financial_month
),

-- each side grouped on its own (one pass over the fact each), then put side by side
sus_supplied as (
    select
        provider_code,
        service_line_code,
        financial_year,
        financial_month,
        count(*) as sus_supplied_activity
    from fct_sus_activity
    where service_line_code is not null and service_line_code <> '99999999'
    group by provider_code, service_line_code, financial_year, financial_month
),

sus_derived as (
    select
        provider_code,
        derived_service_line_code as service_line_code,
        financial_year,
        financial_month,
        count(*) as sus_derived_activity
    from fct_sus_activity
    where derived_service_line_code is not null
    group by provider_code, derived_service_line_code, financial_year, financial_month
),

sus_lines as (
    {{ cells_side_by_side(
        'sus_supplied', 'sus_derived', cell_keys, ['sus_supplied_activity'], ['sus_derived_activity']
    ) }}
),

cells as (
    {{ cells_side_by_side(
        'slam_lines', 'sus_lines', cell_keys, ['slam_activity'], ['sus_supplied_activity', 'sus_derived_activity']
    ) }}
),

periods as (
    {{ with_periods_reported('cells', sus_rows='fct_sus_activity') }}
),

final as (
    select
        {{ surrogate_key([
            'periods.provider_code', 'periods.service_line_code', 'periods.financial_year', 'periods.financial_month'
        ]) }} as triangulation_slam_ir_key,
        periods.provider_code,
        periods.service_line_code,
        periods.financial_year,
        periods.financial_month,
        cast(periods.slam_activity as decimal(38, 3)) as slam_activity,
        periods.sus_supplied_activity,
        periods.sus_derived_activity,
        cast(periods.slam_activity - periods.sus_supplied_activity as decimal(38, 3)) as supplied_activity_variance,
        cast(periods.slam_activity - periods.sus_derived_activity as decimal(38, 3)) as derived_activity_variance,
        {{ pct_variance('periods.slam_activity', 'periods.sus_derived_activity') }} as derived_activity_pct_variance,
        periods.is_slam_submitted and periods.is_sus_extracted as is_compared
    from periods
)

select * from final
