{#- The data-quality results current for each slice as of each run: the run that last
    validated the slice (dq_run_slices.validated_run_id) and its results. What the providers'
    emails count. A check no share of failing rows can fail (tolerance 100 %, such as
    icb_code_superseded: a merger, which the warehouse resolves) is information for the ICBs in
    dq.dq_check_results, not a provider's problem: it is left out here, so out of every report.
    A view over the runner's tables, like the DQMI models: DuckDB only, read after the runner
    has written the run. -#}
{{ config(materialized='view', schema='dq_checks', enabled=target.type != 'spark', tags=['dq_dqmi']) }}

with

run_slices as (
    select
        run_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        validated_run_id
    from {{ ref('stg_dq__run_slices') }}
),

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
    from {{ ref('stg_dq__check_results') }}
),

checks_shown_to_providers as (
    select check_id
    from {{ ref('dq_thresholds') }}
    where max_failure_rate < 1
),

final as (
    select
        run_slices.run_id,
        run_slices.validated_run_id,
        check_results.check_id,
        check_results.dataset,
        check_results.provider_code,
        check_results.financial_year,
        check_results.financial_month,
        {{ date_of_financial_period('check_results.financial_year', 'check_results.financial_month') }}
            as period_start_date,
        check_results.severity,
        check_results.rows_checked,
        check_results.rows_failed,
        check_results.status
    from run_slices
    inner join check_results
        on
            run_slices.validated_run_id = check_results.run_id
            and run_slices.dataset = check_results.dataset
            and run_slices.provider_code = check_results.provider_code
            and run_slices.financial_year = check_results.financial_year
            and run_slices.financial_month = check_results.financial_month
    inner join checks_shown_to_providers
        on check_results.check_id = checks_shown_to_providers.check_id
)

select * from final
