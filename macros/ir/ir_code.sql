{#- A clinical code as the identification rules compare it: trimmed, upper-cased, dots and
    spaces removed (C50.1 and c501 are the same code); empty is NULL. -#}
{% macro ir_code(column) -%}
    nullif(upper({{ regexp_replace_all('trim(' ~ column ~ ')', '[.\\s]', '') }}), '')
{%- endmacro %}
