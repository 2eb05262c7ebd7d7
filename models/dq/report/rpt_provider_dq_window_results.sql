{#- The results current as of each run (rpt_provider_dq_current_results) of the months in the
    provider's window (rpt_provider_dq_windows): the one home of "in the window" for the
    email's figures (its checks, their months failing and their samples). -#}
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
        validated_run_id,
        check_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        period_start_date,
        severity,
        rows_checked,
        rows_failed,
        status
    from {{ ref('rpt_provider_dq_current_results') }}
),

final as (
    select
        current_results.run_id,
        current_results.validated_run_id,
        current_results.check_id,
        current_results.dataset,
        current_results.provider_code,
        current_results.financial_year,
        current_results.financial_month,
        current_results.period_start_date,
        windows.window_start_date,
        current_results.severity,
        current_results.rows_checked,
        current_results.rows_failed,
        current_results.status
    from current_results
    inner join windows
        on
            current_results.run_id = windows.run_id
            and current_results.dataset = windows.dataset
            and current_results.provider_code = windows.provider_code
            and current_results.period_start_date >= windows.window_start_date
)

select * from final
