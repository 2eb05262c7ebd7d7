{#- SLAM pounds and the ICB ledger side by side per triangulation cell: one row per provider ×
    ICB × financial year × month that either holds, with SLAM pounds of delegated (green)
    Actual rows attributed to the ICB, the ICB's ledger payments to the provider on delegated
    specialised lines, and whether each feed reported the cell's period (is_slam_submitted,
    is_ledger_period_covered; macros/triangulation/). A step of rpt_triangulation_spend. -#}
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

-- Delegated streams are those whose money sits in the ICB allocation (green).
slam_cells as (
    select
        fct_contract_activity.provider_code,
        coalesce(fct_contract_activity.attributed_icb_code, {{ unknown_code() }}) as icb_code,
        fct_contract_activity.financial_year,
        fct_contract_activity.financial_month,
        cast(coalesce(sum(fct_contract_activity.price), 0) as decimal(38, 2)) as slam_gbp
    from fct_contract_activity
    inner join dim_funding_stream
        on fct_contract_activity.funding_stream = dim_funding_stream.funding_stream
    where dim_funding_stream.is_delegated
    group by
        fct_contract_activity.provider_code,
        coalesce(fct_contract_activity.attributed_icb_code, {{ unknown_code() }}),
        fct_contract_activity.financial_year,
        fct_contract_activity.financial_month
),

-- Delegated specialised payments: a delegated cost centre and a delegated analysis code.
ledger_cells as (
    select
        coalesce(fct_ledger_posting.supplier_code, {{ unknown_code() }}) as provider_code,
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
        coalesce(fct_ledger_posting.supplier_code, {{ unknown_code() }}),
        fct_ledger_posting.entity_code,
        fct_ledger_posting.financial_year,
        fct_ledger_posting.financial_month
),

cells as (
    {{ cells_side_by_side('slam_cells', 'ledger_cells', cell_keys, ['slam_gbp'], ['ledger_gbp']) }}
),

-- the periods each ICB's ledger covers: any posting at all, specialised or not
final as (
    {{ with_periods_reported('cells', ledger_rows='fct_ledger_posting') }}
)

select * from final
