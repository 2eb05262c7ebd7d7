{#- A quantity (activity, bed days) as decimal(18,3): optional minus, optional thousands
    separators, optional decimals; else NULL. So is a number too large for decimal(18,3)
    (15 digits before the point): try_cast, never a failed build. -#}
{% macro clean_number(column) -%}
    case
        when regexp_full_match({{ clean_text(column) }}, '-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?')
            then try_cast(replace({{ clean_text(column) }}, ',', '') as decimal(18, 3))
    end
{%- endmacro %}
