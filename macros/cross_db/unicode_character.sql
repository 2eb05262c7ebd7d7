{#- The character with Unicode code point `code_point` (an integer known at compile time), as
    a SQL string. chr() takes a code point on DuckDB and Postgres; Spark's chr() wraps at 256,
    so its override writes the character as a \uXXXX escape in a string literal. -#}
{% macro unicode_character(code_point) -%}
    {{ return(adapter.dispatch('unicode_character', 'speccomm')(code_point)) }}
{%- endmacro %}

{% macro default__unicode_character(code_point) -%}
    chr({{ code_point }})
{%- endmacro %}

{% macro spark__unicode_character(code_point) -%}
    '{{ "\\u%04x" | format(code_point) }}'
{%- endmacro %}
