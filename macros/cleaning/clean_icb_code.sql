{#- A commissioner or ICB code: a 5-character code ending 00 (72Q00) becomes its first three
    characters. Sub-ICB locations are resolved to ICBs later, against reference data. -#}
{% macro clean_icb_code(column) -%}
    case
        when length({{ clean_code(column) }}) = 5 and right({{ clean_code(column) }}, 2) = '00'
            then left({{ clean_code(column) }}, 3)
        else {{ clean_code(column) }}
    end
{%- endmacro %}
