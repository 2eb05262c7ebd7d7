{#- A quantity (activity, bed days) as decimal(18,3): optional minus, optional thousands
    separators, optional decimals; else NULL. -#}
{% macro clean_number(column) -%}
    case
        when regexp_full_match({{ clean_text(column) }}, '-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?')
            then cast(replace({{ clean_text(column) }}, ',', '') as decimal(18, 3))
    end
{%- endmacro %}
