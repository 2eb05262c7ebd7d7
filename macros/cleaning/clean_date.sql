{#- A date from YYYY-MM-DD or DD/MM/YYYY; impossible dates (2025-02-30) and other forms are NULL. -#}
{% macro clean_date(column) -%}
    case
        when regexp_full_match({{ clean_text(column) }}, '\d{4}-\d{2}-\d{2}')
            then cast(try_strptime({{ clean_text(column) }}, '%Y-%m-%d') as date)
        when regexp_full_match({{ clean_text(column) }}, '\d{2}/\d{2}/\d{4}')
            then cast(try_strptime({{ clean_text(column) }}, '%d/%m/%Y') as date)
    end
{%- endmacro %}
