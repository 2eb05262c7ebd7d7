-- Reading an ICB-level mart on current boundaries moves money between ICBs but never loses or
-- creates it: every at-the-time ICB code maps to exactly one current ICB, and the national
-- totals grouped by current_icb_code equal those grouped by icb_code.
with

spend_at_the_time as (
    select
        financial_year,
        funding_stream,
        icb_code,
        max(current_icb_code) as current_icb_code,
        count(distinct current_icb_code) as current_codes,
        sum(plan_gbp) as plan_gbp,
        coalesce(sum(slam_actual_gbp), 0) as slam_gbp,
        coalesce(sum(ledger_actual_gbp), 0) as ledger_gbp
    from {{ ref('fct_icb_spend_monthly') }}
    group by financial_year, funding_stream, icb_code
),

spend_current as (
    select
        financial_year,
        funding_stream,
        current_icb_code,
        sum(plan_gbp) as plan_gbp,
        sum(slam_gbp) as slam_gbp,
        sum(ledger_gbp) as ledger_gbp
    from spend_at_the_time
    group by financial_year, funding_stream, current_icb_code
),

totals as (
    select
        'at_the_time' as boundary_basis,
        financial_year,
        funding_stream,
        sum(plan_gbp) as plan_gbp,
        sum(slam_gbp) as slam_gbp,
        sum(ledger_gbp) as ledger_gbp
    from spend_at_the_time
    group by financial_year, funding_stream
    union all
    select
        'current' as boundary_basis,
        financial_year,
        funding_stream,
        sum(plan_gbp) as plan_gbp,
        sum(slam_gbp) as slam_gbp,
        sum(ledger_gbp) as ledger_gbp
    from spend_current
    group by financial_year, funding_stream
),

differences as (
    select
        financial_year,
        funding_stream,
        count(distinct plan_gbp) as plan_values,
        count(distinct slam_gbp) as slam_values,
        count(distinct ledger_gbp) as ledger_values
    from totals
    group by financial_year, funding_stream
),

final as (
    select
        'totals differ' as problem,
        financial_year,
        funding_stream,
        cast(null as {{ type_text() }}) as icb_code
    from differences
    where plan_values > 1 or slam_values > 1 or ledger_values > 1
    union all
    select
        'icb maps to several current icbs' as problem,
        financial_year,
        funding_stream,
        icb_code
    from spend_at_the_time
    where current_codes != 1
)

select * from final
