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
        {{ resolved_provider_code('postings_placed.supplier_code', 'supplier') }} as supplier_code_resolved
    from postings_placed
    left join cost_centres
        on postings_placed.cost_centre = cost_centres.cost_centre
    {{ join_provider_codes('postings_placed.supplier_code', 'supplier') }}
)

select * from final
