{#- Triangulation of SLAM pounds with the ICB ledger: one row per provider × ICB × financial year
    × month, with SLAM pounds of delegated (green) Actual rows attributed to the ICB against
    the ICB's ledger payments to the provider on delegated specialised lines, the variance, and
    is_flagged against seed triangulation_thresholds. Read by the data-quality check
    slam_ledger_spend_variance. Method: docs/marts/triangulation.md. -#}
{%- set cell_keys = ['provider_code', 'icb_code', 'financial_year', 'financial_month'] %}

with

fct_contract_activity as (
    select
        provider_code,
        attributed_icb_code,
        financial_year,
        financial_month,
        funding_stream,
        price
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual'
),

fct_ledger_posting as (
    select
        entity_code,
        supplier_code,
        financial_year,
        financial_month,
        funding_stream,
        analysis_code,
        amount
    from {{ ref('fct_ledger_posting') }}
),

ledger_analysis_codes as (
    select
        upper(trim(analysis_code)) as analysis_code,
        is_delegated_specialised
    from {{ ref('ledger_analysis_codes') }}
),

dim_funding_stream as (
    select
        funding_stream,
        is_delegated
    from {{ ref('dim_funding_stream') }}
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

-- Delegated streams are those whose money sits in the ICB allocation (green).
slam_cells as (
    select
        fct_contract_activity.provider_code,
        coalesce(fct_contract_activity.attributed_icb_code, 'UNKNOWN') as icb_code,
        fct_contract_activity.financial_year,
        fct_contract_activity.financial_month,
        cast(coalesce(sum(fct_contract_activity.price), 0) as decimal(38, 2)) as slam_gbp
    from fct_contract_activity
    inner join dim_funding_stream
        on fct_contract_activity.funding_stream = dim_funding_stream.funding_stream
    where dim_funding_stream.is_delegated
    group by
        fct_contract_activity.provider_code,
        coalesce(fct_contract_activity.attributed_icb_code, 'UNKNOWN'),
        fct_contract_activity.financial_year,
        fct_contract_activity.financial_month
),

-- Delegated specialised payments: a delegated cost centre and a delegated analysis code.
ledger_cells as (
    select
        coalesce(fct_ledger_posting.supplier_code, 'UNKNOWN') as provider_code,
        fct_ledger_posting.entity_code as icb_code,
        fct_ledger_posting.financial_year,
        fct_ledger_posting.financial_month,
        cast(coalesce(sum(fct_ledger_posting.amount), 0) as decimal(38, 2)) as ledger_gbp
    from fct_ledger_posting
    inner join dim_funding_stream
        on fct_ledger_posting.funding_stream = dim_funding_stream.funding_stream
    inner join ledger_analysis_codes
        on fct_ledger_posting.analysis_code = ledger_analysis_codes.analysis_code
    where dim_funding_stream.is_delegated and ledger_analysis_codes.is_delegated_specialised
    group by
        coalesce(fct_ledger_posting.supplier_code, 'UNKNOWN'),
        fct_ledger_posting.entity_code,
        fct_ledger_posting.financial_year,
        fct_ledger_posting.financial_month
),

cells as (
    {{ cells_side_by_side('slam_cells', 'ledger_cells', cell_keys, ['slam_gbp'], ['ledger_gbp']) }}
),

-- the periods each ICB's ledger covers: any posting at all, specialised or not
periods as (
    {{ with_periods_reported('cells', ledger_rows='fct_ledger_posting') }}
),

-- Compared only where both sides could hold the cell: an attributed ICB whose ledger covers the
-- period, and SLAM submitted by the provider for the month.
comparability as (
    select
        periods.*,
        case
            when periods.icb_code = 'UNKNOWN' then 'icb_unattributed'
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
