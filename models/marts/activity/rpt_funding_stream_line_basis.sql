{#- Which line pays, side by side: SUS tariff pounds and records per provider × attributed ICB ×
    financial year × month × funding stream, once with funding streams following the supplied
    service line and once following the identification rules' line, whatever the configured
    basis (var service_line_basis; the column paying_basis says which one funding_stream in
    fct_sus_activity follows tonight). moved_gbp = derived-basis pounds − supplied-basis pounds:
    what a switch to the derived basis would move into (positive) or out of (negative) the
    stream. Over all streams of a provider × ICB × month the moves sum to zero. -#}
with

fct_sus_activity as (
    select
        provider_code,
        attributed_icb_code,
        financial_year,
        financial_month,
        funding_stream_supplied,
        funding_stream_derived,
        service_line_basis,
        tariff_price
    from {{ ref('fct_sus_activity') }}
),

-- each basis grouped on its own (one pass over the fact each), then put side by side
supplied_basis as (
    select
        provider_code,
        attributed_icb_code,
        financial_year,
        financial_month,
        funding_stream_supplied as funding_stream,
        count(*) as records,
        sum(tariff_price) as tariff,
        min(service_line_basis) as paying_basis
    from fct_sus_activity
    group by provider_code, attributed_icb_code, financial_year, financial_month, funding_stream_supplied
),

derived_basis as (
    select
        provider_code,
        attributed_icb_code,
        financial_year,
        financial_month,
        funding_stream_derived as funding_stream,
        count(*) as records,
        sum(tariff_price) as tariff,
        min(service_line_basis) as paying_basis
    from fct_sus_activity
    group by provider_code, attributed_icb_code, financial_year, financial_month, funding_stream_derived
),

both_bases as (
    select
        provider_code,
        attributed_icb_code,
        financial_year,
        financial_month,
        funding_stream,
        records as supplied_records,
        0 as derived_records,
        tariff as supplied_tariff,
        0 as derived_tariff,
        paying_basis
    from supplied_basis
    union all
    select
        provider_code,
        attributed_icb_code,
        financial_year,
        financial_month,
        funding_stream,
        0 as supplied_records,
        records as derived_records,
        0 as supplied_tariff,
        tariff as derived_tariff,
        paying_basis
    from derived_basis
),

cells as (
    select
        provider_code,
        attributed_icb_code,
        financial_year,
        financial_month,
        funding_stream,
        cast(sum(supplied_records) as bigint) as records_supplied_basis,
        cast(sum(derived_records) as bigint) as records_derived_basis,
        cast(coalesce(sum(supplied_tariff), 0) as decimal(38, 2)) as tariff_gbp_supplied_basis,
        cast(coalesce(sum(derived_tariff), 0) as decimal(38, 2)) as tariff_gbp_derived_basis,
        min(paying_basis) as paying_basis
    from both_bases
    group by provider_code, attributed_icb_code, financial_year, financial_month, funding_stream
),

final as (
    select
        {{ surrogate_key([
            'provider_code', 'attributed_icb_code', 'financial_year', 'financial_month', 'funding_stream'
        ]) }} as line_basis_key,
        provider_code,
        attributed_icb_code,
        financial_year,
        financial_month,
        funding_stream,
        records_supplied_basis,
        records_derived_basis,
        tariff_gbp_supplied_basis,
        tariff_gbp_derived_basis,
        tariff_gbp_derived_basis - tariff_gbp_supplied_basis as moved_gbp,
        paying_basis,
        case when paying_basis = 'derived' then tariff_gbp_derived_basis else tariff_gbp_supplied_basis end
            as tariff_gbp_paying
    from cells
)

select * from final
