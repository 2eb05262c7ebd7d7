{#- The data-quality runner's results, one row per check x slice x validating run
    (dq.dq_check_results, written by speccomm.quality). A view, like stg_dq__run_slices. -#}
with

check_results as (
    select
        run_id,
        check_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        severity,
        rows_checked,
        rows_failed,
        status
    from {{ source('dq_results', 'dq_check_results') }}
),

final as (
    select
        run_id,
        check_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        severity,
        rows_checked,
        rows_failed,
        status
    from check_results
)

select * from final
