{#- Trimmed text, empty string as NULL (the contract: empty means missing). Trimmed of every
    whitespace a spreadsheet writes: space, tab, line breaks, no-break space (U+00A0), narrow
    and figure no-break spaces, the ideographic space and a stray byte-order mark. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}, {{ whitespace_characters() }}), '')
{%- endmacro %}

{#- The characters clean_text trims, as one SQL string (folded to a constant by DuckDB). -#}
{% macro whitespace_characters() -%}
    (' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(8199) || chr(8239)
    || chr(12288) || chr(65279))
{%- endmacro %}
