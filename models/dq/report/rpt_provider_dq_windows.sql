{#- The window a provider's email counts its checks over, as of each run: from the first day
    of the earliest month of the provider's trend for the dataset (rpt_provider_dq_trend, the
    latest `dq_report_trend_months` months scored). The one home of the window: the checks,
    the months failing, the samples and the identification-rules breakdown are all counted
    from it. -#}
{{ config(materialized='view', schema='dq_checks', enabled=target.type != 'spark', tags=['dq_dqmi']) }}

with

trend as (
    select
        run_id,
        dataset,
        provider_code,
        period_start_date
    from {{ ref('rpt_provider_dq_trend') }}
),

final as (
    select
        run_id,
        dataset,
        provider_code,
        min(period_start_date) as window_start_date
    from trend
    group by run_id, dataset, provider_code
)

select * from final
