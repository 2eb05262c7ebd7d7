{#- The ICB's own ledger by month: postings on specialised cost centres (funding stream not
    unknown) per entity × financial year × month × stream, with the part paid to providers in
    the SLAM feed that year (the feed's coverage of the ICB's spend), and the latest period
    each ICB's ledger has reached in the year. -#}
with

fct_ledger_posting as (
    select
        entity_code,
        financial_year,
        financial_month,
        funding_stream,
        supplier_code,
        amount
    from {{ ref('fct_ledger_posting') }}
),

feed_providers as (
    select distinct
        provider_code,
        financial_year
    from {{ ref('int_slam__expected_submissions') }}
),

ledger_reported_to as (
    select
        entity_code,
        financial_year,
        max(financial_month) as ledger_reported_to_month
    from fct_ledger_posting
    group by entity_code, financial_year
),

specialised as (
    select
        fct_ledger_posting.entity_code,
        fct_ledger_posting.financial_year,
        fct_ledger_posting.financial_month,
        fct_ledger_posting.funding_stream,
        fct_ledger_posting.amount,
        feed_providers.provider_code is not null as is_feed_provider
    from fct_ledger_posting
    left join feed_providers
        on
            fct_ledger_posting.supplier_code = feed_providers.provider_code
            and fct_ledger_posting.financial_year = feed_providers.financial_year
    where fct_ledger_posting.funding_stream != 'unknown'
),

final as (
    select
        specialised.entity_code as icb_code,
        specialised.financial_year,
        specialised.financial_month,
        specialised.funding_stream,
        ledger_reported_to.ledger_reported_to_month,
        cast(coalesce(sum(specialised.amount), 0) as decimal(38, 2)) as ledger_actual_gbp,
        cast(coalesce(sum(specialised.amount) filter (where specialised.is_feed_provider), 0) as decimal(38, 2))
            as ledger_feed_providers_gbp
    from specialised
    inner join ledger_reported_to
        on
            specialised.entity_code = ledger_reported_to.entity_code
            and specialised.financial_year = ledger_reported_to.financial_year
    group by
        specialised.entity_code,
        specialised.financial_year,
        specialised.financial_month,
        specialised.funding_stream,
        ledger_reported_to.ledger_reported_to_month
)

select * from final
