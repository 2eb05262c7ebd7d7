-- DQMI-style scores per dataset x provider x year x month as of run $run_id, from
-- dq_run_item_scores. DQMI = mean item score x coverage, where coverage is year to date:
-- months submitted (slices with row-level results) from April up to this month / months
-- expected (this month's number). Peer median: the median DQMI of every provider with a
-- score for the same dataset, year and month (the provider included).
with

item_scores as (
    select
        dataset,
        provider_code,
        financial_year,
        financial_month,
        data_item,
        records,
        incomplete_rate,
        invalid_rate,
        excess_default_rate,
        item_score
    from dq_run_item_scores
),

slices as (
    select
        dataset,
        provider_code,
        financial_year,
        financial_month,
        max(records) as records,
        avg(100 * (1 - incomplete_rate)) as completeness,
        avg(100 * (1 - invalid_rate)) as validity,
        avg(100 * excess_default_rate) as excess_defaults,
        avg(item_score) as mean_item_score,
        cast(to_json(map(list(data_item order by data_item), list(round(item_score, 2) order by data_item))) as varchar) as item_scores
    from item_scores
    group by dataset, provider_code, financial_year, financial_month
),

with_coverage as (
    select
        dataset,
        provider_code,
        financial_year,
        financial_month,
        records,
        completeness,
        validity,
        excess_defaults,
        mean_item_score,
        item_scores,
        cast(count(*) over (
            partition by dataset, provider_code, financial_year
            order by financial_month
            rows between unbounded preceding and current row
        ) as double) / financial_month as coverage
    from slices
),

scored as (
    select
        dataset,
        provider_code,
        financial_year,
        financial_month,
        records,
        coverage,
        completeness,
        validity,
        excess_defaults,
        mean_item_score,
        item_scores,
        mean_item_score * coverage as dqmi
    from with_coverage
),

final as (
    select
        $run_id as run_id,
        cast($run_at as timestamp) as run_at,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        make_date(
            cast(left(financial_year, 4) as integer) + case when financial_month <= 9 then 0 else 1 end,
            ((financial_month + 2) % 12) + 1,
            1
        ) as period_start_date,
        records,
        coverage,
        completeness,
        validity,
        excess_defaults,
        mean_item_score,
        item_scores,
        dqmi,
        median(dqmi) over (partition by dataset, financial_year, financial_month) as peer_median_dqmi,
        cast(count(*) over (partition by dataset, financial_year, financial_month) as integer) as peer_count
    from scored
)

select * from final
