{#- A date from YYYY-MM-DD or DD/MM/YYYY with a year from 1900 to 2099; impossible dates
    (2025-02-30), years out of that range (0999, 9999) and other forms are NULL. -#}
{% macro clean_date(column) -%}
    case
        when regexp_full_match({{ clean_text(column) }}, '(19|20)\d{2}-\d{2}-\d{2}')
            then cast(try_strptime({{ clean_text(column) }}, '%Y-%m-%d') as date)
        when regexp_full_match({{ clean_text(column) }}, '\d{2}/\d{2}/(19|20)\d{2}')
            then cast(try_strptime({{ clean_text(column) }}, '%d/%m/%Y') as date)
    end
{%- endmacro %}
