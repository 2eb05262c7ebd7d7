{#- The current ledger postings: the latest extract of each entity × year × period, each
    (journal_id, journal_line) once, with the funding stream of the cost centre and the
    supplier resolved to a provider. -#}
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
        coalesce(cost_centres.funding_stream, 'unknown') as funding_stream,
        coalesce(supplier_known.provider_code, supplier_trust.provider_code, postings_placed.supplier_code)
            as supplier_code_resolved
    from postings_placed
    left join cost_centres
        on postings_placed.cost_centre = cost_centres.cost_centre
    left join provider_codes as supplier_known
        on postings_placed.supplier_code = supplier_known.code
    left join provider_codes as supplier_trust
        on
            length(postings_placed.supplier_code) = 5
            and left(postings_placed.supplier_code, 3) = supplier_trust.code
)

select * from final
