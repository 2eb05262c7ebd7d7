{#- The text type for casts: ANSI varchar; Spark wants `string` (its varchar needs a length). -#}
{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text', 'speccomm')()) }}
{%- endmacro %}

{% macro default__type_text() -%}
    varchar
{%- endmacro %}

{% macro spark__type_text() -%}
    string
{%- endmacro %}
