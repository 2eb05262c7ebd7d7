{#- Monitoring of service-line assignment: the supplied service line of every current SUS record
    against the line the identification rules derive from its codes, per provider × service
    line × financial year × month × outcome, with the tariff pounds at stake and the funding
    streams on both sides. Outcomes (docs/identification-rules.md):
      agree                 same line, or not specialised on both sides (line 99999999);
      supplied_not_derived  a line supplied (not blank, not 99999999), the rules find none;
      derived_not_supplied  the rules find a line, none supplied;
      different_line        both name a line, and they differ.
    service_line_code is the supplied line, or the derived line when none was supplied.
    Read by the data-quality check service_line_ir_mismatch (per record) and the provider
    reports. -#}
with

fct_sus_activity as (
    select
        provider_code,
        financial_year,
        financial_month,
        service_line_code,
        derived_service_line_code,
        funding_stream_supplied,
        funding_stream_derived,
        tariff_price
    from {{ ref('fct_sus_activity') }}
),

dim_provider as (
    select
        provider_code,
        provider_name
    from {{ ref('dim_provider') }}
    where not is_unknown_member
),

records as (
    select
        provider_code,
        financial_year,
        financial_month,
        nullif(service_line_code, '99999999') as supplied_line,
        derived_service_line_code as derived_line,
        funding_stream_supplied,
        funding_stream_derived,
        tariff_price
    from fct_sus_activity
),

outcomes as (
    select
        provider_code,
        financial_year,
        financial_month,
        coalesce(supplied_line, derived_line, '99999999') as service_line_code,
        case
            when coalesce(supplied_line, '') = coalesce(derived_line, '') then 'agree'
            when derived_line is null then 'supplied_not_derived'
            when supplied_line is null then 'derived_not_supplied'
            else 'different_line'
        end as outcome,
        supplied_line,
        derived_line,
        funding_stream_supplied,
        funding_stream_derived,
        tariff_price
    from records
),

-- first a plain group-by over the records (one pass over the fact), then the small result
-- folded to the mart's grain
line_pairs as (
    select
        provider_code,
        service_line_code,
        financial_year,
        financial_month,
        outcome,
        coalesce(derived_line, '99999999') as derived_line,
        funding_stream_supplied,
        funding_stream_derived,
        count(*) as records,
        sum(tariff_price) as tariff,
        count(tariff_price) as priced_records
    from outcomes
    group by
        provider_code,
        service_line_code,
        financial_year,
        financial_month,
        outcome,
        coalesce(derived_line, '99999999'),
        funding_stream_supplied,
        funding_stream_derived
),

cells as (
    select
        provider_code,
        service_line_code,
        financial_year,
        financial_month,
        outcome,
        cast(sum(records) as bigint) as records,
        cast(coalesce(sum(tariff), 0) as decimal(38, 2)) as tariff_gbp,
        cast(sum(priced_records) as bigint) as priced_records,
        {{ ordered_string_agg('derived_line', ', ', 'derived_line', distinct=true) }} as derived_service_line_codes,
        min(funding_stream_supplied) as funding_stream_supplied,
        case
            when min(funding_stream_derived) = max(funding_stream_derived) then min(funding_stream_derived) else 'mixed'
        end as funding_stream_derived,
        cast(coalesce(sum(records) filter (where funding_stream_supplied <> funding_stream_derived), 0) as bigint)
            as records_stream_changed,
        cast(
            coalesce(sum(tariff) filter (where funding_stream_supplied <> funding_stream_derived), 0)
            as decimal(38, 2)
        ) as tariff_gbp_stream_changed
    from line_pairs
    group by provider_code, service_line_code, financial_year, financial_month, outcome
),

final as (
    select
        {{ surrogate_key([
            'cells.provider_code', 'cells.service_line_code', 'cells.financial_year',
            'cells.financial_month', 'cells.outcome'
        ]) }} as ir_monitoring_key,
        cells.provider_code,
        dim_provider.provider_name,
        cells.service_line_code,
        cells.financial_year,
        cells.financial_month,
        {{ date_of_financial_period('cells.financial_year', 'cells.financial_month') }} as period_start_date,
        cells.outcome,
        cells.outcome <> 'agree' as is_disagreement,
        cells.records,
        cells.tariff_gbp,
        cells.priced_records,
        cells.derived_service_line_codes,
        cells.funding_stream_supplied,
        cells.funding_stream_derived,
        cells.records_stream_changed,
        cells.tariff_gbp_stream_changed
    from cells
    left join dim_provider
        on cells.provider_code = dim_provider.provider_code
)

select * from final
