{#- One row per current ledger line (latest extract of its entity, year and period). entity_code
    is the ICB in force in the line's period that the file's entity means (a dissolved ICB's
    code after its valid_to: its successor), file_entity_code the entity as the file names it. -#}
with

current_postings as (
    select
        file_id,
        source_file,
        source_row,
        file_entity_code,
        entity_icb_code,
        is_entity_superseded,
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

with_period as (
    select
        file_id,
        source_file,
        source_row,
        file_entity_code,
        entity_icb_code,
        is_entity_superseded,
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

with_keys as (
    {{ with_dimension_keys(
        'with_period',
        provider_code='supplier_code_resolved', provider_key_as='supplier_provider_key',
        icb_code='entity_icb_code', icb_on='period_start', icb_key_as='entity_icb_key',
    ) }}
),

final as (
    select
        {{ lineage_key('with_keys.file_id', 'with_keys.source_row') }} as ledger_posting_key,
        with_keys.entity_icb_code as entity_code,
        with_keys.file_entity_code,
        with_keys.is_entity_superseded,
        with_keys.entity_code as entity_code_stated,
        with_keys.file_financial_year as financial_year,
        with_keys.file_financial_month as financial_month,
        with_keys.period_start as period_start_date,
        with_keys.journal_id,
        with_keys.journal_line,
        with_keys.posting_date,
        with_keys.cost_centre,
        with_keys.subjective_code,
        with_keys.analysis_code,
        with_keys.supplier_code_resolved as supplier_code,
        with_keys.supplier_code_raw,
        with_keys.description,
        with_keys.funding_stream,
        with_keys.amount,
        with_keys.amount_raw,
        with_keys.entity_icb_key,
        with_keys.supplier_provider_key,
        with_keys.funding_stream as funding_stream_key,
        {{ date_key('with_keys.period_start') }} as date_key,
        with_keys.file_id,
        with_keys.source_file,
        with_keys.source_row
    from with_keys
)

select * from final
