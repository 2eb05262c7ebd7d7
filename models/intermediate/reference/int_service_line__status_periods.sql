{#- One row per service line per status period: consecutive financial years with the same
    delegation status collapsed into one period (years without a status count as unknown).
    The last period is open (valid_to NULL) when it reaches the latest year in the reference
    and the line has no effective_to date. -#}
with

service_lines as (
    select
        service_line_code,
        effective_to
    from {{ ref('stg_reference__service_lines') }}
),

statuses as (
    select
        service_line_code,
        financial_year,
        funding_stream
    from {{ ref('stg_reference__service_line_statuses') }}
),

years as (
    select distinct financial_year
    from statuses
),

line_years as (
    select
        service_lines.service_line_code,
        service_lines.effective_to,
        years.financial_year,
        coalesce(statuses.funding_stream, 'unknown') as funding_stream
    from service_lines
    cross join years
    left join statuses
        on
            service_lines.service_line_code = statuses.service_line_code
            and years.financial_year = statuses.financial_year
),

islands as (
    select
        service_line_code,
        effective_to,
        financial_year,
        funding_stream,
        row_number() over (partition by service_line_code order by financial_year)
        - row_number() over (partition by service_line_code, funding_stream order by financial_year)
            as island
    from line_years
),

periods as (
    select
        service_line_code,
        funding_stream,
        min(financial_year) as first_financial_year,
        max(financial_year) as last_financial_year,
        max(effective_to) as effective_to
    from islands
    group by service_line_code, funding_stream, island
),

final as (
    select
        service_line_code,
        funding_stream,
        first_financial_year,
        last_financial_year,
        make_date(cast(left(first_financial_year, 4) as integer), 4, 1) as valid_from,
        case
            when last_financial_year = (select max(years.financial_year) as latest_year from years)
                then effective_to
            else make_date(cast(left(last_financial_year, 4) as integer) + 1, 3, 31)
        end as valid_to
    from periods
)

select * from final
