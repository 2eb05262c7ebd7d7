-- One row per provider × ICB × month compared in marts.rpt_triangulation_spend (SLAM money
-- attributed to the ICB against the ICB's ledger payments to the provider).
with

cells as (
    select
        provider_code,
        icb_code,
        financial_year,
        financial_month,
        slam_gbp,
        ledger_gbp,
        is_compared,
        is_flagged
    from marts.rpt_triangulation_spend
    where
        is_compared
        and exists (
            select 1 from dq_scope
            where dq_scope.financial_year = rpt_triangulation_spend.financial_year
                and dq_scope.financial_month = rpt_triangulation_spend.financial_month
        )
),

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        cast(null as varchar) as source_file,
        cast(null as integer) as source_row,
        cast(null as varchar) as record_ref,
        cast(null as varchar) as service_line_code,
        cast(null as varchar) as pod_code,
        'ICB ' || icb_code as context,
        'SLAM £' || cast(slam_gbp as varchar) || ' vs ledger £' || cast(ledger_gbp as varchar) as variance_raw,
        coalesce(is_flagged, false) as fails_slam_ledger_spend_variance
    from cells
)

select * from final
