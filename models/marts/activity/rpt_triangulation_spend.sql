{#- Triangulation of SLAM pounds with the ICB ledger: one row per provider × ICB × financial year
    × month, with SLAM pounds of delegated (green) Actual rows attributed to the ICB against
    the ICB's ledger payments to the provider on delegated specialised lines, the variance, and
    is_flagged against seed triangulation_thresholds. Read by the data-quality check
    slam_ledger_spend_variance. Method: docs/marts/triangulation.md. The cells side
    by side: int_triangulation__slam_ledger_spend_cells. -#}

with

periods as (
    select
        provider_code,
        icb_code,
        financial_year,
        financial_month,
        slam_gbp,
        ledger_gbp,
        is_slam_submitted,
        is_ledger_period_covered
    from {{ ref('int_triangulation__slam_ledger_spend_cells') }}
),

dim_provider as (
    select
        provider_code,
        provider_name
    from {{ ref('dim_provider') }}
    where not is_unknown_member
),

current_boundaries as (
    select distinct
        icb_code,
        current_icb_code
    from {{ ref('dim_icb') }}
),

-- Compared only where both sides could hold the cell: an attributed ICB whose ledger covers the
-- period, and SLAM submitted by the provider for the month.
comparability as (
    select
        periods.*,
        case
            when periods.icb_code = {{ unknown_code() }} then 'icb_unattributed'
            when not periods.is_ledger_period_covered then 'ledger_period_missing'
            when not periods.is_slam_submitted then 'slam_month_not_submitted'
        end as not_compared_reason
    from periods
),

variances as (
    select
        comparability.*,
        comparability.not_compared_reason is null as is_compared,
        comparability.slam_gbp - comparability.ledger_gbp as spend_variance_gbp,
        {{ pct_variance('comparability.slam_gbp', 'comparability.ledger_gbp') }} as spend_pct_variance
    from comparability
),

-- Flagged when beyond both thresholds: the percentage of the ledger (infinite when the ledger
-- shows nothing) and the absolute pounds, on cells at least min_cell_size on either side.
flags as (
    {{ with_threshold_flag(
        'variances', 'slam_ledger_spend', 'is_flagged',
        'spend_variance_gbp', 'slam_gbp', 'ledger_gbp', 'spend_pct_variance'
    ) }}
),

final as (
    select
        {{ surrogate_key([
            'flags.provider_code', 'flags.icb_code', 'flags.financial_year', 'flags.financial_month'
        ]) }} as triangulation_spend_key,
        flags.provider_code,
        dim_provider.provider_name,
        flags.icb_code,
        coalesce(current_boundaries.current_icb_code, flags.icb_code) as current_icb_code,
        flags.financial_year,
        flags.financial_month,
        {{ date_of_financial_period('flags.financial_year', 'flags.financial_month') }} as period_start_date,
        flags.slam_gbp,
        flags.ledger_gbp,
        flags.spend_variance_gbp,
        flags.spend_pct_variance,
        flags.is_compared,
        flags.not_compared_reason,
        flags.is_flagged
    from flags
    left join dim_provider
        on flags.provider_code = dim_provider.provider_code
    left join current_boundaries
        on flags.icb_code = current_boundaries.icb_code
)

select * from final
