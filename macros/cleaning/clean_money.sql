{#- Money as decimal(18,2) from 1234.56, 1,234.56, £1,234.56, -1234.56, -£1,234.56 or
    (1,234.56) (= -1234.56); anything else (TBC, n/a, 12,34) is NULL. So is an amount too
    large for decimal(18,2) (16 digits before the point): try_cast, never a failed build. -#}
{% macro clean_money(column) -%}
    {%- set text = clean_text(column) -%}
    {%- set amount = "(\d{1,3}(,\d{3})+|\d+)(\.\d+)?" -%}
    case
        when regexp_full_match({{ text }}, '-?£?{{ amount }}')
            then try_cast(replace(replace({{ text }}, '£', ''), ',', '') as decimal(18, 2))
        when regexp_full_match({{ text }}, '\(£?{{ amount }}\)')
            then -try_cast(regexp_replace({{ text }}, '[()£,]', '', 'g') as decimal(18, 2))
    end
{%- endmacro %}
