-- fct_icb_spend_monthly loses and invents no money: per financial year and funding stream, its
-- SLAM actuals equal the SLAM Actual pounds of fct_contract_activity and its ledger actuals
-- equal the pounds of fct_ledger_posting on specialised cost centres (stream not unknown).
-- Returns the years and streams that differ.
with

slam as (
    select
        financial_year,
        funding_stream,
        coalesce(sum(price), 0) as slam_gbp
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual'
    group by financial_year, funding_stream
),

ledger as (
    select
        financial_year,
        funding_stream,
        coalesce(sum(amount), 0) as ledger_gbp
    from {{ ref('fct_ledger_posting') }}
    where funding_stream != 'unknown'
    group by financial_year, funding_stream
),

mart as (
    select
        financial_year,
        funding_stream,
        coalesce(sum(slam_actual_gbp), 0) as slam_gbp,
        coalesce(sum(ledger_actual_gbp), 0) as ledger_gbp
    from {{ ref('fct_icb_spend_monthly') }}
    group by financial_year, funding_stream
),

facts as (
    select
        coalesce(slam.financial_year, ledger.financial_year) as financial_year,
        coalesce(slam.funding_stream, ledger.funding_stream) as funding_stream,
        coalesce(slam.slam_gbp, 0) as slam_gbp,
        coalesce(ledger.ledger_gbp, 0) as ledger_gbp
    from slam
    full outer join ledger
        on
            slam.financial_year = ledger.financial_year
            and slam.funding_stream = ledger.funding_stream
),

final as (
    select
        coalesce(facts.financial_year, mart.financial_year) as financial_year,
        coalesce(facts.funding_stream, mart.funding_stream) as funding_stream,
        facts.slam_gbp as fact_slam_gbp,
        mart.slam_gbp as mart_slam_gbp,
        facts.ledger_gbp as fact_ledger_gbp,
        mart.ledger_gbp as mart_ledger_gbp
    from facts
    full outer join mart
        on
            facts.financial_year = mart.financial_year
            and facts.funding_stream = mart.funding_stream
    where
        coalesce(facts.slam_gbp, 0) != coalesce(mart.slam_gbp, 0)
        or coalesce(facts.ledger_gbp, 0) != coalesce(mart.ledger_gbp, 0)
)

select * from final
