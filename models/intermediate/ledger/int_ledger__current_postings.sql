{#- The current ledger postings: the latest extract of each entity × year × period, each
    (journal_id, journal_line) once, with the funding stream of the cost centre, the supplier
    resolved to a provider, and the ICB the file's entity code means in the file's period
    (entity_icb_code: a dissolved ICB's code on a period after its valid_to means its
    successor, int_icb__codes_in_force; a code that is no ICB stays as it is). -#}
with

postings_placed as (
    select {{ star(ref('int_ledger__postings_placed')) }}
    from {{ ref('int_ledger__postings_placed') }}
    where is_current_extract and occurrence_in_extract = 1
),

cost_centres as (
    select
        cost_centre,
        funding_stream
    from {{ ref('stg_reference__ledger_cost_centres') }}
),

provider_codes as (
    select
        code,
        provider_code
    from {{ ref('int_provider__codes') }}
),

final as (
    select
        {{ star(ref('int_ledger__postings_placed'), 'postings_placed') }},
        coalesce(entity_icb.icb_code, postings_placed.file_entity_code) as entity_icb_code,
        coalesce(entity_icb.is_superseded, false) as is_entity_superseded,
        coalesce(cost_centres.funding_stream, 'unknown') as funding_stream,
        {{ resolved_provider_code('postings_placed.supplier_code', 'supplier') }} as supplier_code_resolved
    from postings_placed
    {{ join_icb_in_force(
        'postings_placed.file_entity_code',
        date_of_financial_period('postings_placed.file_financial_year', 'postings_placed.file_financial_month'),
        'entity_icb',
    ) }}
    left join cost_centres
        on postings_placed.cost_centre = cost_centres.cost_centre
    {{ join_provider_codes('postings_placed.supplier_code', 'supplier') }}
)

select * from final
