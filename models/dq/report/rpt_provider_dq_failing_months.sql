{#- The months of a provider's window (rpt_provider_dq_windows) in which a check's status, as
    of the run, was not pass: what a provider's email lists as "months failing" under each
    check. -#}
{{ config(materialized='view', schema='dq_checks', enabled=target.type != 'spark', tags=['dq_dqmi']) }}

with

windows as (
    select
        run_id,
        dataset,
        provider_code,
        window_start_date
    from {{ ref('rpt_provider_dq_windows') }}
),

current_results as (
    select
        run_id,
        check_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        period_start_date,
        status
    from {{ ref('rpt_provider_dq_current_results') }}
),

final as (
    select
        current_results.run_id,
        current_results.dataset,
        current_results.provider_code,
        current_results.check_id,
        current_results.financial_year,
        current_results.financial_month,
        current_results.period_start_date,
        current_results.status
    from current_results
    inner join windows
        on
            current_results.run_id = windows.run_id
            and current_results.dataset = windows.dataset
            and current_results.provider_code = windows.provider_code
            and current_results.period_start_date >= windows.window_start_date
    where current_results.status <> 'pass'
)

select * from final
