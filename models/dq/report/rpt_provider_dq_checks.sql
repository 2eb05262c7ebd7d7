{#- What a provider's email says of each check, as of each run: over the provider's window
    (the months of its trend, rpt_provider_dq_windows; its results are
    rpt_provider_dq_window_results), the rows checked and failed, the worst status of any month,
    the month the status was judged on and the peer median failure rate.
    - worst status: fail, else warn, else pass, over the window's months (each month is judged
      against the check's tolerance by the runner);
    - judged month: the worst month, by status (fail 2, warn 1, pass 0) plus half the month's
      failure rate, the earliest of equals;
    - peer median: the median of every provider's failure rate over the same months (its
      failed rows / its checked rows), shown when at least `dq_report_min_peers` (dbt var, 5)
      providers have a rate, the provider itself included (int_dq_report__peer_median_rates);
    - how the email shows the check: the registry's report_as (dq_checks);
    - the order the email lists the checks in: worst status first, then most rows failed. -#}
{{ config(materialized='view', schema='dq_checks', enabled=target.type != 'spark', tags=['dq_dqmi']) }}

with

peers as (
    select
        run_id,
        dataset,
        window_start_date,
        check_id,
        peer_median_rate
    from {{ ref('int_dq_report__peer_median_rates') }}
),

window_results as (
    select
        run_id,
        check_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        period_start_date,
        window_start_date,
        severity,
        rows_checked,
        rows_failed,
        case status when 'fail' then 2 when 'warn' then 1 else 0 end as status_rank
    from {{ ref('rpt_provider_dq_window_results') }}
),

in_window as (
    select
        window_results.*,
        row_number() over (
            partition by
                window_results.run_id, window_results.dataset, window_results.provider_code,
                window_results.check_id
            order by
                window_results.status_rank
                + coalesce(cast(window_results.rows_failed as double) / nullif(window_results.rows_checked, 0), 0)
                / 2 desc,
                window_results.period_start_date asc
        ) as judged_rank
    from window_results
),

own as (
    select
        run_id,
        dataset,
        provider_code,
        check_id,
        window_start_date,
        max(severity) as severity,
        cast(sum(rows_checked) as bigint) as rows_checked,
        cast(sum(rows_failed) as bigint) as rows_failed,
        max(status_rank) as worst_status_rank,
        max(case when judged_rank = 1 then financial_year end) as judged_financial_year,
        max(case when judged_rank = 1 then financial_month end) as judged_financial_month,
        max(case when judged_rank = 1 then period_start_date end) as judged_period_start_date,
        max(case when judged_rank = 1 then rows_failed end) as judged_rows_failed,
        max(case when judged_rank = 1 then rows_checked end) as judged_rows_checked
    from in_window
    group by run_id, dataset, provider_code, check_id, window_start_date
),

thresholds as (
    select
        check_id,
        title,
        meaning,
        how_to_fix,
        max_failure_rate
    from {{ ref('dq_thresholds') }}
),

shown_as as (
    select
        check_id,
        dataset,
        report_as
    from {{ ref('dq_checks') }}
),

final as (
    select
        own.run_id,
        own.dataset,
        own.provider_code,
        own.check_id,
        own.window_start_date,
        own.severity,
        own.rows_checked,
        own.rows_failed,
        case own.worst_status_rank when 2 then 'fail' when 1 then 'warn' else 'pass' end as worst_status,
        own.judged_financial_year,
        own.judged_financial_month,
        own.judged_period_start_date,
        own.judged_rows_failed,
        own.judged_rows_checked,
        peers.peer_median_rate,
        thresholds.title,
        thresholds.meaning,
        thresholds.how_to_fix,
        thresholds.max_failure_rate,
        shown_as.report_as,
        row_number() over (
            partition by own.run_id, own.dataset, own.provider_code
            order by own.worst_status_rank desc, own.rows_failed desc, own.check_id asc
        ) as display_order
    from own
    left join peers
        on
            own.run_id = peers.run_id
            and own.dataset = peers.dataset
            and own.window_start_date = peers.window_start_date
            and own.check_id = peers.check_id
    left join thresholds
        on own.check_id = thresholds.check_id
    left join shown_as
        on
            own.check_id = shown_as.check_id
            and own.dataset = shown_as.dataset
)

select * from final
