{#- The calendar the warehouse knows, in one place: financial years first_year/… to
    last_year/… (dim_date's days run from 1 April of the first to 31 March after the last).
    calendar_first_day and calendar_end_day are SQL date literals; financial_year_series is a
    relation (for a from clause) with one row per financial year: financial_year ('2025/26'),
    year_start_date (1 April) and year_end_date (31 March). -#}
{% macro calendar_years() -%}
    {{ return({'first_year': 2013, 'last_year': 2030}) }}
{%- endmacro %}

{% macro calendar_first_day() -%}
    date '{{ calendar_years().first_year }}-04-01'
{%- endmacro %}

{% macro calendar_end_day() -%}
    date '{{ calendar_years().last_year + 1 }}-04-01'
{%- endmacro %}

{% macro financial_year_series() -%}
    {%- set years = calendar_years() -%}
    (
        select
            cast(series.start_year as {{ type_text() }}) || '/'
            || lpad(cast((series.start_year + 1) % 100 as {{ type_text() }}), 2, '0') as financial_year,
            make_date(series.start_year, 4, 1) as year_start_date,
            make_date(series.start_year + 1, 3, 31) as year_end_date
        from {{ integer_series(years.first_year, years.last_year, 'start_year') }}
    )
{%- endmacro %}
