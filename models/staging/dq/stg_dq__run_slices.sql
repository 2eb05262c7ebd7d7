{#- The data-quality runner's record of which run's results are current for each slice, as of
    each run (dq.dq_run_slices, written by speccomm.quality). A view, so the DQMI models read
    the rows the runner has just written in its own transaction. DuckDB only (dbt_project.yml):
    the runner's tables live in the DuckDB warehouse. -#}
with

run_slices as (
    select
        run_id,
        run_at,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        validated_run_id
    from {{ source('dq_results', 'dq_run_slices') }}
),

final as (
    select
        run_id,
        run_at,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        validated_run_id
    from run_slices
)

select * from final
