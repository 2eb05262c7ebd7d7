-- DQMI-style item scores for every current slice as of run $run_id, into temp table
-- dq_run_item_scores. One row per dataset x provider x year x month x data item.
-- item score = (valid and complete - defaults in excess of the item's threshold) / records x 100
-- computed from the check rates of the item:
--   100 x (1 - incomplete rate - invalid rate - max(0, default rate - default_threshold)), >= 0.
-- Checks map to data items in expectations/*.yml (dqmi: item, role), loaded as dq_item_map.
-- Only slices with rows in the dataset's primary batch (SLAM current rows, SUS current records,
-- ledger current postings) are scored: a slice known only from a file name is not a submission.
create or replace temp table dq_run_item_scores as

with

run_slices as (
    select
        dataset,
        provider_code,
        financial_year,
        financial_month,
        validated_run_id
    from dq.dq_run_slices
    where run_id = $run_id
),

current_results as (
    select
        results.dataset,
        results.provider_code,
        results.financial_year,
        results.financial_month,
        results.check_id,
        results.rows_checked,
        results.rows_failed
    from dq.dq_check_results as results
    inner join run_slices
        on
            results.run_id = run_slices.validated_run_id
            and results.dataset = run_slices.dataset
            and results.provider_code = run_slices.provider_code
            and results.financial_year = run_slices.financial_year
            and results.financial_month = run_slices.financial_month
),

item_checks as (
    select
        current_results.dataset,
        current_results.provider_code,
        current_results.financial_year,
        current_results.financial_month,
        item_map.data_item,
        item_map.role,
        item_map.is_primary,
        current_results.rows_checked,
        cast(current_results.rows_failed as double) / current_results.rows_checked as failure_rate,
        coalesce(thresholds.default_threshold, 0) as default_threshold
    from current_results
    inner join dq_item_map as item_map
        on
            current_results.dataset = item_map.dataset
            and current_results.check_id = item_map.check_id
    left join reference.dq_thresholds as thresholds
        on current_results.check_id = thresholds.check_id
),

primary_slices as (
    select distinct
        dataset,
        provider_code,
        financial_year,
        financial_month
    from item_checks
    where is_primary
),

scored_checks as (
    select
        item_checks.dataset,
        item_checks.provider_code,
        item_checks.financial_year,
        item_checks.financial_month,
        item_checks.data_item,
        item_checks.role,
        item_checks.rows_checked,
        item_checks.failure_rate,
        item_checks.default_threshold
    from item_checks
    inner join primary_slices
        on
            item_checks.dataset = primary_slices.dataset
            and item_checks.provider_code = primary_slices.provider_code
            and item_checks.financial_year = primary_slices.financial_year
            and item_checks.financial_month = primary_slices.financial_month
),

items as (
    select
        dataset,
        provider_code,
        financial_year,
        financial_month,
        data_item,
        max(rows_checked) as records,
        coalesce(sum(failure_rate) filter (where role = 'incomplete'), 0) as incomplete_rate,
        coalesce(sum(failure_rate) filter (where role = 'invalid'), 0) as invalid_rate,
        coalesce(sum(failure_rate) filter (where role = 'default'), 0) as default_rate,
        coalesce(max(default_threshold) filter (where role = 'default'), 0) as default_threshold
    from scored_checks
    group by dataset, provider_code, financial_year, financial_month, data_item
),

final as (
    select
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
