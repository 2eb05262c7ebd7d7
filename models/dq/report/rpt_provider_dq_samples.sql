{#- The failed samples of the results current as of each run (rpt_provider_dq_current_results):
    the records a provider's email and its attached CSV list. Never the pseudonymised patient id
    nor the SUS record id: the provider's own reference (record_ref) and the file and row. -#}
{{ config(materialized='view', schema='dq_checks', enabled=target.type != 'spark', tags=['dq_dqmi']) }}

with

current_results as (
    select
        run_id,
        validated_run_id,
        check_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        period_start_date
    from {{ ref('rpt_provider_dq_current_results') }}
),

samples as (
    select
        run_id,
        check_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        sample_no,
        source_file,
        source_row,
        record_ref,
        service_line_code,
        pod_code,
        context,
        raw_column,
        raw_value
    from {{ ref('stg_dq__failed_samples') }}
),

final as (
    select
        current_results.run_id,
        samples.check_id,
        samples.dataset,
        samples.provider_code,
        samples.financial_year,
        samples.financial_month,
        current_results.period_start_date,
        samples.sample_no,
        samples.source_file,
        samples.source_row,
        samples.record_ref,
        samples.service_line_code,
        samples.pod_code,
        samples.context,
        samples.raw_column,
        samples.raw_value
    from current_results
    inner join samples
        on
            current_results.validated_run_id = samples.run_id
            and current_results.check_id = samples.check_id
            and current_results.dataset = samples.dataset
            and current_results.provider_code = samples.provider_code
            and current_results.financial_year = samples.financial_year
            and current_results.financial_month = samples.financial_month
)

select * from final
