{#- A relation (for a from clause) with one row per integer from `first` to `last`
    (inclusive, both literals known at compile time), in column `column`: an ANSI values
    list, the same on every engine. -#}
{% macro integer_series(first, last, column) -%}
    {{ return(adapter.dispatch('integer_series', 'speccomm')(first, last, column)) }}
{%- endmacro %}

{% macro default__integer_series(first, last, column) -%}
    (values {% for n in range(first, last + 1) %}({{ n }}){{ ", " if not loop.last }}{% endfor %}) as series ({{ column }})
{%- endmacro %}
