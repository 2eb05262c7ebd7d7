{#- DQMI-style scores per run x dataset x provider x financial year x month, from
    dq_dqmi_run_item_scores; the runner appends one run's rows to dq.dqmi_scores
    (speccomm.quality.dqmi). DQMI = mean item score x coverage, where coverage is year to
    date: the months submitted (scored slices) from April up to this month / the months
    expected (this month's number). Peer median: the median DQMI of every provider scored for
    the same dataset, year and month as of the same run (the provider included).
    item_scores (a JSON object of item: score) is written with DuckDB's to_json: this model
    and its inputs are the DuckDB warehouse's (dbt_project.yml). -#}
with

run_slices as (
    select distinct
        run_id,
        run_at
    from {{ ref('stg_dq__run_slices') }}
),

slices as (
    select
        run_id,
        dataset,
        provider_code,
        financial_year,
        financial_month,
        max(records) as records,
        avg(100 * (1 - incomplete_rate)) as completeness,
        avg(100 * (1 - invalid_rate)) as validity,
        avg(100 * excess_default_rate) as excess_defaults,
        avg(item_score) as mean_item_score,
        cast(to_json(map(
            list(data_item order by data_item),
            list(cast({{ round_decimal('item_score') }} as double) order by data_item)
        )) as {{ type_text() }}) as item_scores
    from {{ ref('dq_dqmi_run_item_scores') }}
    group by run_id, dataset, provider_code, financial_year, financial_month
),

with_coverage as (
    select
        run_id,
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
        -- the months with a slice from April to the month, over the months so far
        cast({{ year_to_date('1', ['run_id', 'dataset', 'provider_code']) }} as double) / financial_month
            as coverage
    from slices
),

final as (
    select
        covered.run_id,
        run_slices.run_at,
        covered.dataset,
        covered.provider_code,
        covered.financial_year,
        covered.financial_month,
        {{ date_of_financial_period('covered.financial_year', 'covered.financial_month') }} as period_start_date,
        covered.records,
        covered.coverage,
        covered.completeness,
        covered.validity,
        covered.excess_defaults,
        covered.mean_item_score,
        covered.item_scores,
        covered.mean_item_score * covered.coverage as dqmi,
        median(covered.mean_item_score * covered.coverage) over (
            partition by covered.run_id, covered.dataset, covered.financial_year, covered.financial_month
        ) as peer_median_dqmi,
        cast(count(*) over (
            partition by covered.run_id, covered.dataset, covered.financial_year, covered.financial_month
        ) as integer) as peer_count
    from with_coverage as covered
    inner join run_slices
        on covered.run_id = run_slices.run_id
)

select * from final
