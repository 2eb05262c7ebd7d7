{#- The data-quality runner's failed samples, up to a few failing records per check x slice x
    validating run (dq.dq_failed_samples, written by speccomm.quality). A view, like
    stg_dq__run_slices. -#}
with

failed_samples as (
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
    from {{ source('dq_results', 'dq_failed_samples') }}
),

final as (
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
    from failed_samples
)

select * from final
