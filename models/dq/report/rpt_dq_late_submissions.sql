{#- A run's results of the check the registry shows as the months not received
    (dq_checks.report_as = 'months_not_received': submission_missing) that did not pass: the
    late or missing submissions the nightly's summary lists, one row each. -#}
{{ config(materialized='view', schema='dq_checks', enabled=target.type != 'spark', tags=['dq_dqmi']) }}

with

checks_of_months_not_received as (
    select
        check_id,
        dataset
    from {{ ref('dq_checks') }}
    where report_as = 'months_not_received'
),

check_results as (
    select
        run_id,
        check_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        status
    from {{ ref('stg_dq__check_results') }}
),

final as (
    select
        check_results.run_id,
        check_results.check_id,
        check_results.dataset,
        check_results.provider_code,
        check_results.financial_year,
        check_results.financial_month,
        check_results.status
    from check_results
    inner join checks_of_months_not_received
        on
            check_results.check_id = checks_of_months_not_received.check_id
            and check_results.dataset = checks_of_months_not_received.dataset
    where check_results.status <> 'pass'
)

select * from final
