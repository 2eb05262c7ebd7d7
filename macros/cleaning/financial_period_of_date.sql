{#- The financial year (2025/26) and month (1 = April) a calendar date falls in. -#}
{% macro financial_year_of_date(date_column) -%}
    case
        when month({{ date_column }}) >= 4
            then cast(year({{ date_column }}) as {{ type_text() }}) || '/'
            || lpad(cast((year({{ date_column }}) + 1) % 100 as {{ type_text() }}), 2, '0')
        else cast(year({{ date_column }}) - 1 as {{ type_text() }}) || '/'
            || lpad(cast(year({{ date_column }}) % 100 as {{ type_text() }}), 2, '0')
    end
{%- endmacro %}

{% macro financial_month_of_date(date_column) -%}
    cast(((month({{ date_column }}) + 8) % 12) + 1 as integer)
{%- endmacro %}

{#- The first day of a financial year and month (2025/26, 1 -> 2025-04-01). -#}
{% macro date_of_financial_period(financial_year, financial_month) -%}
    make_date(
        cast(left({{ financial_year }}, 4) as integer) + case when {{ financial_month }} <= 9 then 0 else 1 end,
        (({{ financial_month }} + 2) % 12) + 1,
        1
    )
{%- endmacro %}
