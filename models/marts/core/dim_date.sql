{#- One row per calendar day from 1 April 2013 (specialised commissioning by NHSE began) to
    31 March 2031 (macros/calendar/calendar_years.sql), plus an unknown member dated 1900-01-01. -#}
with

days as (
    select cast(day_range.day_value as date) as date_day
    from {{ day_series(calendar_first_day(), calendar_end_day()) }} as day_range
),

known_days as (
    select
        date_day as date_key,
        date_day,
        cast(year(date_day) as integer) as calendar_year,
        cast(month(date_day) as integer) as calendar_month,
        {{ month_name('date_day') }} as calendar_month_name,
        cast(date_trunc('month', date_day) as date) as month_start,
        {{ financial_year_of_date('date_day') }} as financial_year,
        {{ financial_month_of_date('date_day') }} as financial_month,
        cast(ceil({{ financial_month_of_date('date_day') }} / 3.0) as integer) as financial_quarter,
        {{ iso_day_of_week('date_day') }} >= 6 as is_weekend,
        false as is_unknown_member
    from days
),

unknown_member as (
    select
        date '1900-01-01' as date_key,
        cast(null as date) as date_day,
        cast(null as integer) as calendar_year,
        cast(null as integer) as calendar_month,
        cast(null as {{ type_text() }}) as calendar_month_name,
        cast(null as date) as month_start,
        'unknown' as financial_year,
        cast(null as integer) as financial_month,
        cast(null as integer) as financial_quarter,
        cast(null as boolean) as is_weekend,
        true as is_unknown_member
),

final as (
    select * from known_days
    union all
    select * from unknown_member
)

select * from final
