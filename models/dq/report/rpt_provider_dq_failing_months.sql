{#- The months of a provider's window (rpt_provider_dq_window_results) in which a check's
    status, as of the run, was not pass: what a provider's email lists as "months failing"
    under each check. -#}
{{ config(materialized='view', schema='dq_checks', enabled=target.type != 'spark', tags=['dq_dqmi']) }}

with

window_results as (
    select
        run_id,
        dataset,
        provider_code,
        check_id,
        financial_year,
        financial_month,
        period_start_date,
        status
    from {{ ref('rpt_provider_dq_window_results') }}
),

final as (
    select *
    from window_results
    where status <> 'pass'
)

select * from final
