{#- The failed samples of the results current as of each run in the provider's window
    (rpt_provider_dq_window_results): the records a provider's email and its attached CSV list.
    Never the pseudonymised patient id nor the SUS record id: the provider's own reference
    (record_ref) and the file and row. The value a provider reads (shown_value) is the value as
    sent, unless the registry withholds it (dq_checks.value_withheld_as: it could name another
    organisation). -#}
{{ config(materialized='view', schema='dq_checks', enabled=target.type != 'spark', tags=['dq_dqmi']) }}

with

window_results as (
    select
        run_id,
        validated_run_id,
        check_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        period_start_date
    from {{ ref('rpt_provider_dq_window_results') }}
),

withheld_values as (
    select
        check_id,
        dataset,
        value_withheld_as
    from {{ ref('dq_checks') }}
    where value_withheld_as is not null
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
        window_results.run_id,
        samples.check_id,
        samples.dataset,
        samples.provider_code,
        samples.financial_year,
        samples.financial_month,
        window_results.period_start_date,
        samples.sample_no,
        samples.source_file,
        samples.source_row,
        samples.record_ref,
        samples.service_line_code,
        samples.pod_code,
        samples.context,
        samples.raw_column,
        samples.raw_value,
        coalesce(withheld_values.value_withheld_as is not null and trim(samples.raw_value) <> '', false)
            as is_value_withheld,
        case
            when withheld_values.value_withheld_as is not null and trim(samples.raw_value) <> ''
                then withheld_values.value_withheld_as
            else samples.raw_value
        end as shown_value
    from window_results
    inner join samples
        on
            window_results.validated_run_id = samples.run_id
            and window_results.check_id = samples.check_id
            and window_results.dataset = samples.dataset
            and window_results.provider_code = samples.provider_code
            and window_results.financial_year = samples.financial_year
            and window_results.financial_month = samples.financial_month
    left join withheld_values
        on
            samples.check_id = withheld_values.check_id
            and samples.dataset = withheld_values.dataset
)

select * from final
