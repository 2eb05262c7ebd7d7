{#- The DQMI-style trend a provider's email charts: the latest `dq_report_trend_months` (dbt
    var, 12) months scored for the provider and dataset as of each run, latest first
    (months_back 1), with the peer median shown only when at least `dq_report_min_peers`
    (dbt var, 5) providers were scored that month. The earliest of them starts the window over
    which the email's checks are counted (rpt_provider_dq_checks). -#}
{{ config(materialized='view', schema='dq_checks', enabled=target.type != 'spark', tags=['dq_dqmi']) }}

with

scores as (
    select
        run_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        period_start_date,
        dqmi,
        coverage,
        completeness,
        validity,
        peer_median_dqmi,
        peer_count,
        row_number() over (
            partition by run_id, dataset, provider_code
            order by period_start_date desc
        ) as months_back
    from {{ ref('stg_dq__dqmi_scores') }}
),

final as (
    select
        run_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        period_start_date,
        months_back,
        dqmi,
        coverage,
        completeness,
        validity,
        case
            when peer_count >= {{ var('dq_report_min_peers') }} then peer_median_dqmi
        end as peer_median_dqmi
    from scores
    where months_back <= {{ var('dq_report_trend_months') }}
)

select * from final
