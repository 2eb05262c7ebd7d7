{#- The months of the ICB spend mart: one row per ICB × financial year × financial month ×
    funding stream that has a plan, SLAM completeness figures or ledger postings in the year
    (all twelve months of each), with the plan phasing's weight of the month and to the month,
    and whether the month is reported: SLAM once any provider has stated it for the year, the
    ledger once the ICB's own ledger has reached it (one rule). A step of fct_icb_spend_monthly. -#}
with

monthly_plan as (
    select
        icb_code,
        financial_year,
        funding_stream
    from {{ ref('int_finance__icb_monthly_plan') }}
),

completeness as (
    select
        icb_code,
        financial_year,
        funding_stream
    from {{ ref('int_finance__icb_slam_completeness') }}
),

ledger_monthly as (
    select
        icb_code,
        financial_year,
        funding_stream,
        ledger_reported_to_month
    from {{ ref('int_finance__icb_ledger_monthly') }}
),

submissions as (
    select
        financial_year,
        latest_month_stated
    from {{ ref('int_slam__expected_submissions') }}
),

cumulative_phasing as (
    select
        financial_month,
        phase_weight,
        cumulative_weight
    from {{ ref('stg_reference__plan_phasing') }}
),

-- The latest month SLAM states in each year (any provider): later months are not yet reported.
slam_reported_to as (
    select
        financial_year,
        max(latest_month_stated) as slam_reported_to_month
    from submissions
    group by financial_year
),

ledger_reported_to as (
    select
        icb_code,
        financial_year,
        max(ledger_reported_to_month) as ledger_reported_to_month
    from ledger_monthly
    group by icb_code, financial_year
),

icb_year_streams as (
    select
        icb_code,
        financial_year,
        funding_stream
    from monthly_plan
    union
    select
        icb_code,
        financial_year,
        funding_stream
    from completeness
    union
    select
        icb_code,
        financial_year,
        funding_stream
    from ledger_monthly
),

spine as (
    select
        icb_year_streams.icb_code,
        icb_year_streams.financial_year,
        cumulative_phasing.financial_month,
        icb_year_streams.funding_stream,
        cumulative_phasing.phase_weight,
        cumulative_phasing.cumulative_weight
    from icb_year_streams
    cross join cumulative_phasing
),

-- a month is reported once SLAM (for the year) or the ICB's ledger has reached it: one rule
final as (
    select
        spine.*,
        coalesce(spine.financial_month <= slam_reported_to.slam_reported_to_month, false)
            as is_slam_reported,
        coalesce(spine.financial_month <= ledger_reported_to.ledger_reported_to_month, false)
            as is_ledger_reported
    from spine
    left join slam_reported_to
        on spine.financial_year = slam_reported_to.financial_year
    left join ledger_reported_to
        on
            spine.icb_code = ledger_reported_to.icb_code
            and spine.financial_year = ledger_reported_to.financial_year
)

select * from final
