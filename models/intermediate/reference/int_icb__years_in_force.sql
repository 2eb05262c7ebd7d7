{#- What each ICB code means in each financial year: one row per code × financial year × ICB it
    means during part or all of that year (int_icb__codes_in_force, ICB codes only: its own ICB
    while in force, then its successor, chains followed), with the part of the year (dates and
    financial months). A code whose ICB was dissolved before the year means its successor for
    the whole year (is_superseded); a merger within a year gives the code two rows that year.
    The ICBs in force in a year are the rows that are not superseded. Financial years are the
    calendar's (macros/calendar/calendar_years.sql). -#}
with

icb_codes as (
    select
        code,
        icb_code,
        valid_from,
        valid_to,
        is_superseded
    from {{ ref('int_icb__codes_in_force') }}
    where code_type = 'icb'
),

financial_years as (
    select
        financial_year,
        year_start_date,
        year_end_date
    from {{ financial_year_series() }}
),

year_overlaps as (
    select
        icb_codes.code,
        financial_years.financial_year,
        icb_codes.icb_code,
        icb_codes.is_superseded,
        greatest(icb_codes.valid_from, financial_years.year_start_date) as valid_from,
        least(icb_codes.valid_to, financial_years.year_end_date) as valid_to
    from icb_codes
    inner join financial_years
        on
            icb_codes.valid_from <= financial_years.year_end_date
            and icb_codes.valid_to >= financial_years.year_start_date
),

final as (
    select
        code,
        financial_year,
        icb_code,
        is_superseded,
        min(valid_from) as valid_from,
        max(valid_to) as valid_to,
        min({{ financial_month_of_date('valid_from') }}) as from_financial_month,
        max({{ financial_month_of_date('valid_to') }}) as to_financial_month
    from year_overlaps
    group by code, financial_year, icb_code, is_superseded
)

select * from final
