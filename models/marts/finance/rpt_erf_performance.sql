{#- The Elective Recovery Fund's measure: one row per provider × ICB × financial year × month
    with ERF activity (int_finance__erf_activity_monthly) or a baseline (seed erf_baselines, on
    the ICB in force in the month: a dissolved ICB's baseline after its valid_to is its
    successor's, added up with the other predecessors' unless the successor has its own row):
    the value of the month's specialised elective activity at tariff against the baseline value
    (the baseline year's activity at the year's prices), their ratio, and the same from April to
    the month. A baseline with no activity reads 0; activity with no baseline has no ratio
    (NULL). Method: docs/marts/erf-performance.md. The baselines on the ICB in force:
    int_reference__erf_baselines_in_force. -#}
{%- set per_flow = ['provider_code', 'icb_code'] -%}
with

erf_activity as (
    select
        provider_code,
        icb_code,
        financial_year,
        financial_month,
        admitted_records,
        outpatient_first_records,
        outpatient_procedure_records,
        records_without_price,
        admitted_value_gbp,
        outpatient_first_value_gbp,
        outpatient_procedure_value_gbp,
        elective_value_gbp
    from {{ ref('int_finance__erf_activity_monthly') }}
),

erf_baselines as (
    select
        provider_code,
        icb_code,
        financial_year,
        financial_month,
        baseline_value_gbp,
        is_illustrative
    from {{ ref('int_reference__erf_baselines_in_force') }}
),

dim_provider as (
    select
        provider_code,
        provider_name
    from {{ ref('dim_provider') }}
    where not is_unknown_member
),

footprint as (
    select
        icb_code,
        icb_name,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

spine as (
    select
        provider_code,
        icb_code,
        financial_year,
        financial_month
    from erf_activity
    union
    select
        provider_code,
        icb_code,
        financial_year,
        financial_month
    from erf_baselines
),

monthly as (
    select
        spine.provider_code,
        spine.icb_code,
        spine.financial_year,
        spine.financial_month,
        coalesce(erf_activity.admitted_records, 0) as admitted_records,
        coalesce(erf_activity.outpatient_first_records, 0) as outpatient_first_records,
        coalesce(erf_activity.outpatient_procedure_records, 0) as outpatient_procedure_records,
        coalesce(erf_activity.records_without_price, 0) as records_without_price,
        coalesce(erf_activity.admitted_value_gbp, 0) as admitted_value_gbp,
        coalesce(erf_activity.outpatient_first_value_gbp, 0) as outpatient_first_value_gbp,
        coalesce(erf_activity.outpatient_procedure_value_gbp, 0) as outpatient_procedure_value_gbp,
        coalesce(erf_activity.elective_value_gbp, 0) as elective_value_gbp,
        coalesce(
            erf_activity.admitted_records + erf_activity.outpatient_first_records
            + erf_activity.outpatient_procedure_records,
            0
        ) as elective_records,
        erf_baselines.baseline_value_gbp,
        erf_baselines.is_illustrative as is_baseline_illustrative
    from spine
    left join erf_activity
        on
            spine.provider_code = erf_activity.provider_code
            and spine.icb_code = erf_activity.icb_code
            and spine.financial_year = erf_activity.financial_year
            and spine.financial_month = erf_activity.financial_month
    left join erf_baselines
        on
            spine.provider_code = erf_baselines.provider_code
            and spine.icb_code = erf_baselines.icb_code
            and spine.financial_year = erf_baselines.financial_year
            and spine.financial_month = erf_baselines.financial_month
),

-- April to the month, over the months that have a baseline (the ratio's like-for-like months).
year_to_date as (
    select
        monthly.*,
        {{ year_to_date('monthly.elective_records', per_flow) }} as ytd_elective_records,
        {{ year_to_date('monthly.elective_value_gbp', per_flow) }} as ytd_elective_value_gbp,
        {{ year_to_date(
            'case when monthly.baseline_value_gbp is not null then monthly.elective_value_gbp end', per_flow
        ) }} as ytd_baselined_value_gbp,
        {{ year_to_date('monthly.baseline_value_gbp', per_flow) }} as ytd_baseline_value_gbp
    from monthly
),

final as (
    select
        {{ surrogate_key([
            'year_to_date.provider_code', 'year_to_date.icb_code',
            'year_to_date.financial_year', 'year_to_date.financial_month'
        ]) }} as erf_performance_key,
        year_to_date.provider_code,
        dim_provider.provider_name,
        year_to_date.icb_code,
        footprint.icb_name,
        coalesce(footprint.is_in_footprint, false) as is_in_footprint,
        year_to_date.financial_year,
        year_to_date.financial_month,
        {{ date_of_financial_period('year_to_date.financial_year', 'year_to_date.financial_month') }}
            as period_start_date,
        year_to_date.admitted_records,
        year_to_date.outpatient_first_records,
        year_to_date.outpatient_procedure_records,
        year_to_date.elective_records,
        year_to_date.records_without_price,
        year_to_date.admitted_value_gbp,
        year_to_date.outpatient_first_value_gbp,
        year_to_date.outpatient_procedure_value_gbp,
        year_to_date.elective_value_gbp,
        year_to_date.baseline_value_gbp,
        year_to_date.is_baseline_illustrative,
        {{ round_quotient('year_to_date.elective_value_gbp', 'year_to_date.baseline_value_gbp', 4) }}
            as performance_ratio,
        cast(year_to_date.ytd_elective_records as bigint) as ytd_elective_records,
        cast(year_to_date.ytd_elective_value_gbp as decimal(38, 2)) as ytd_elective_value_gbp,
        cast(year_to_date.ytd_baseline_value_gbp as decimal(38, 2)) as ytd_baseline_value_gbp,
        {{ round_quotient('year_to_date.ytd_baselined_value_gbp', 'year_to_date.ytd_baseline_value_gbp', 4) }}
            as ytd_performance_ratio
    from year_to_date
    left join dim_provider
        on year_to_date.provider_code = dim_provider.provider_code
    left join footprint
        on year_to_date.icb_code = footprint.icb_code
)

select * from final
