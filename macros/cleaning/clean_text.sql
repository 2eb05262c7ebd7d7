{#- Trimmed text, empty string as NULL (the contract: empty means missing). -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}
