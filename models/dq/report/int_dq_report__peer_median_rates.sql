{#- The peer median failure rate of each check over each window a run's emails use: one row per
    run × dataset × window start × check, the median of every provider's failure rate over the
    months from the window start (its failed rows / its checked rows), NULL when fewer than
    `dq_report_min_peers` (dbt var, 5) providers have a rate. A step of rpt_provider_dq_checks. -#}
{{ config(materialized='ephemeral', enabled=target.type != 'spark') }}

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
        check_id,
        dataset,
        provider_code,
        period_start_date,
        rows_checked,
        rows_failed
    from {{ ref('rpt_provider_dq_current_results') }}
),

window_starts as (
    select distinct
        run_id,
        dataset,
        window_start_date
    from windows
),

peer_rates as (
    select
        window_starts.run_id,
        window_starts.dataset,
        window_starts.window_start_date,
        current_results.provider_code,
        current_results.check_id,
        cast(sum(current_results.rows_failed) as double) / sum(current_results.rows_checked) as failure_rate
    from window_starts
    inner join current_results
        on
            window_starts.run_id = current_results.run_id
            and window_starts.dataset = current_results.dataset
            and window_starts.window_start_date <= current_results.period_start_date
    group by
        window_starts.run_id, window_starts.dataset, window_starts.window_start_date,
        current_results.provider_code, current_results.check_id
),

peers as (
    select
        run_id,
        dataset,
        window_start_date,
        check_id,
        case
            when count(*) >= {{ var('dq_report_min_peers') }} then {{ median_of('failure_rate') }}
        end as peer_median_rate
    from peer_rates
    group by run_id, dataset, window_start_date, check_id
)

select * from peers
