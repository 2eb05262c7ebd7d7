{#- Trimmed text, empty string as NULL (the contract: empty means missing). Trimmed of every
    whitespace a spreadsheet writes: space, tab, line breaks, no-break space (U+00A0), narrow
    and figure no-break spaces, the ideographic space and a stray byte-order mark. -#}
{% macro clean_text(column) -%}
    nullif({{ trim_characters(column, whitespace_characters()) }}, '')
{%- endmacro %}

{#- The characters clean_text trims, as one SQL string (folded to a constant by the engine). -#}
{% macro whitespace_characters() -%}
    (' '
    {%- for code_point in [9, 10, 11, 12, 13, 160, 8199, 8239, 12288, 65279] %} || {{ unicode_character(code_point) }}{% endfor -%}
    )
{%- endmacro %}
