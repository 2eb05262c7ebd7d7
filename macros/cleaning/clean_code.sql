{#- An organisation or reference code: trimmed, upper-cased, empty as NULL. -#}
{% macro clean_code(column) -%}
    upper({{ clean_text(column) }})
{%- endmacro %}
