{#- The DQMI-style scores the data-quality runner appended for each run (dq.dqmi_scores,
    written by speccomm.quality from dq_dqmi_run_scores). A view, like stg_dq__run_slices. -#}
with

dqmi_scores as (
    select
        run_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        period_start_date,
        coverage,
        completeness,
        validity,
        dqmi,
        peer_median_dqmi,
        peer_count
    from {{ source('dq_results', 'dqmi_scores') }}
),

final as (
    select
        run_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        period_start_date,
        coverage,
        completeness,
        validity,
        dqmi,
        peer_median_dqmi,
        peer_count
    from dqmi_scores
)

select * from final
