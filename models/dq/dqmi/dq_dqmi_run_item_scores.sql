{#- DQMI-style item scores of every slice current as of each run: one row per run x dataset x
    provider x financial year x month x data item. The runner appends one run's rows to
    dq.dqmi_item_scores (speccomm.quality.dqmi).

    item score = 100 x (1 - incomplete rate - invalid rate - max(0, default rate - threshold)),
    floored at 0, from the failure rates of the item's checks (dq_dqmi_item_map) in the
    results that are current for the slice as of the run (rpt_provider_dq_current_results).
    Only slices with rows in the dataset's primary batch are scored: a slice known only from a
    file name is not a submission. -#}
with

current_results as (
    select
        run_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        check_id,
        rows_checked,
        rows_failed
    from {{ ref('rpt_provider_dq_current_results') }}
),

item_checks as (
    select
        current_results.run_id,
        current_results.dataset,
        current_results.provider_code,
        current_results.financial_year,
        current_results.financial_month,
        item_map.data_item,
        item_map.dqmi_role,
        current_results.rows_checked,
        cast(current_results.rows_failed as double) / current_results.rows_checked as failure_rate,
        coalesce(thresholds.default_threshold, 0) as default_threshold,
        -- the slice has rows in the dataset's primary batch: it is a submission
        max(case when item_map.is_primary then 1 else 0 end) over (
            partition by
                current_results.run_id, current_results.dataset, current_results.provider_code,
                current_results.financial_year, current_results.financial_month
        ) = 1 as is_submission
    from current_results
    inner join {{ ref('dq_dqmi_item_map') }} as item_map
        on
            current_results.dataset = item_map.dataset
            and current_results.check_id = item_map.check_id
    left join {{ ref('dq_thresholds') }} as thresholds
        on current_results.check_id = thresholds.check_id
),

items as (
    select
        run_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        data_item,
        max(rows_checked) as records,
        coalesce(sum(case when dqmi_role = 'incomplete' then failure_rate end), 0) as incomplete_rate,
        coalesce(sum(case when dqmi_role = 'invalid' then failure_rate end), 0) as invalid_rate,
        coalesce(sum(case when dqmi_role = 'default' then failure_rate end), 0) as default_rate,
        coalesce(max(case when dqmi_role = 'default' then default_threshold end), 0) as default_threshold
    from item_checks
    where is_submission
    group by run_id, dataset, provider_code, financial_year, financial_month, data_item
),

final as (
    select
        run_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        data_item,
        records,
        incomplete_rate,
        invalid_rate,
        default_rate,
        default_threshold,
        greatest(default_rate - default_threshold, 0) as excess_default_rate,
        greatest(
            100 * (1 - incomplete_rate - invalid_rate - greatest(default_rate - default_threshold, 0)), 0
        ) as item_score
    from items
)

select * from final
