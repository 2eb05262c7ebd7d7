{#- Financial month 1 (April) to 12 (March) from 1-12, 01-12, M1-M12 or M01-M12; else NULL. -#}
{% macro clean_financial_month(column) -%}
    case
        when {{ regexp_full_match('upper(' ~ clean_text(column) ~ ')', 'M?(0?[1-9]|1[0-2])') }}
            then cast(trim(leading 'M' from upper({{ clean_text(column) }})) as integer)
    end
{%- endmacro %}
