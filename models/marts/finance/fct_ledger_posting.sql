{#- One row per current ledger line (latest extract of its entity, year and period). -#}
with

current_postings as (
    select
        file_id,
        source_file,
        source_row,
        file_entity_code,
        entity_code,
        file_financial_year,
        file_financial_month,
        journal_id,
        journal_line,
        posting_date,
        cost_centre,
        subjective_code,
        analysis_code,
        supplier_code_resolved,
        supplier_code_raw,
        description,
        funding_stream,
        amount_raw,
        amount
    from {{ ref('int_ledger__current_postings') }}
),

dim_icb as (
    select
        icb_key,
        icb_code,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from {{ ref('dim_icb') }}
    where not is_unknown_member
),

dim_provider as (
    select
        provider_key,
        provider_code
    from {{ ref('dim_provider') }}
),

with_period as (
    select
        file_id,
        source_file,
        source_row,
        file_entity_code,
        entity_code,
        file_financial_year,
        file_financial_month,
        {{ date_of_financial_period('file_financial_year', 'file_financial_month') }} as period_start,
        journal_id,
        journal_line,
        posting_date,
        cost_centre,
        subjective_code,
        analysis_code,
        supplier_code_resolved,
        supplier_code_raw,
        description,
        funding_stream,
        amount_raw,
        amount
    from current_postings
),

final as (
    select
        {{ lineage_key('with_period.file_id', 'with_period.source_row') }} as ledger_posting_key,
        with_period.file_entity_code as entity_code,
        with_period.entity_code as entity_code_stated,
        with_period.file_financial_year as financial_year,
        with_period.file_financial_month as financial_month,
        with_period.period_start as period_start_date,
        with_period.journal_id,
        with_period.journal_line,
        with_period.posting_date,
        with_period.cost_centre,
        with_period.subjective_code,
        with_period.analysis_code,
        with_period.supplier_code_resolved as supplier_code,
        with_period.supplier_code_raw,
        with_period.description,
        with_period.funding_stream,
        with_period.amount,
        with_period.amount_raw,
        coalesce(dim_icb.icb_key, {{ unknown_key() }}) as entity_icb_key,
        coalesce(dim_provider.provider_key, {{ unknown_key() }}) as supplier_provider_key,
        with_period.funding_stream as funding_stream_key,
        {{ date_key('with_period.period_start') }} as date_key,
        with_period.file_id,
        with_period.source_file,
        with_period.source_row
    from with_period
    left join dim_icb
        on
            with_period.file_entity_code = dim_icb.icb_code
            and with_period.period_start between dim_icb.valid_from and dim_icb.valid_to
    left join dim_provider
        on with_period.supplier_code_resolved = dim_provider.provider_code
)

select * from final
