{#- The Elective Recovery Fund's activity per provider × attributed ICB × financial year × month:
    current SUS records (fct_sus_activity) of specialised services (the paying service line's
    service_category is not not_specialised or unattributable) whose point of delivery is in the
    ERF's scope, valued at their tariff price (tariff_price):
    - admitted: elective ordinary admissions (APC pod EL) and day cases (APC pod DC);
    - outpatient first attendances (OP pod OPFA);
    - outpatient procedures (OP pod OPPROC, first or follow-up).
    Outpatient follow-ups without a procedure (OPFUP), non-elective and other PODs are outside
    the ERF. A record without a valid tariff price counts as a record, not as money
    (records_without_price). Unattributed records are under ICB UNKNOWN. Method:
    docs/marts/erf-performance.md. -#}
with

fct_sus_activity as (
    select
        dataset,
        provider_code,
        attributed_icb_code,
        financial_year,
        financial_month,
        paying_service_line_code,
        pod_code,
        tariff_price
    from {{ ref('fct_sus_activity') }}
),

service_lines as (
    select service_line_code
    from {{ ref('stg_reference__service_lines') }}
    where service_category not in ('not_specialised', 'unattributable')
),

in_scope as (
    select
        fct_sus_activity.provider_code,
        coalesce(fct_sus_activity.attributed_icb_code, {{ unknown_code() }}) as icb_code,
        fct_sus_activity.financial_year,
        fct_sus_activity.financial_month,
        fct_sus_activity.tariff_price,
        case
            when fct_sus_activity.dataset = 'APC' and fct_sus_activity.pod_code in ('EL', 'DC') then 'admitted'
            when fct_sus_activity.dataset = 'OP' and fct_sus_activity.pod_code = 'OPFA' then 'outpatient_first'
            when fct_sus_activity.dataset = 'OP' and fct_sus_activity.pod_code = 'OPPROC' then 'outpatient_procedure'
        end as erf_category
    from fct_sus_activity
    inner join service_lines
        on fct_sus_activity.paying_service_line_code = service_lines.service_line_code
    where fct_sus_activity.financial_year is not null and fct_sus_activity.financial_month is not null
),

final as (
    select
        provider_code,
        icb_code,
        financial_year,
        financial_month,
        count(*) filter (where erf_category = 'admitted') as admitted_records,
        count(*) filter (where erf_category = 'outpatient_first') as outpatient_first_records,
        count(*) filter (where erf_category = 'outpatient_procedure') as outpatient_procedure_records,
        count(*) filter (where tariff_price is null) as records_without_price,
        cast(coalesce(sum(tariff_price) filter (where erf_category = 'admitted'), 0) as decimal(38, 2))
            as admitted_value_gbp,
        cast(coalesce(sum(tariff_price) filter (where erf_category = 'outpatient_first'), 0) as decimal(38, 2))
            as outpatient_first_value_gbp,
        cast(coalesce(sum(tariff_price) filter (where erf_category = 'outpatient_procedure'), 0) as decimal(38, 2))
            as outpatient_procedure_value_gbp,
        cast(coalesce(sum(tariff_price), 0) as decimal(38, 2)) as elective_value_gbp
    from in_scope
    where erf_category is not null
    group by provider_code, icb_code, financial_year, financial_month
)

select * from final
