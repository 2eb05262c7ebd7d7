{#- The rows of the SLAM-against-ledger spend check: one row per provider × ICB × month
    compared in rpt_triangulation_spend (SLAM money attributed to the ICB against the ICB's
    ledger payments to the provider), for the slices in dq_check_scope. -#}
with

cells as (
    select
        cells.provider_code,
        cells.icb_code,
        cells.financial_year,
        cells.financial_month,
        cells.slam_gbp,
        cells.ledger_gbp,
        cells.is_compared,
        cells.is_flagged
    from {{ ref('rpt_triangulation_spend') }} as cells
    where
        cells.is_compared
        and {{ in_dq_check_scope('cells.financial_year', 'cells.financial_month') }}
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
