{#- A stable hash key from one or more columns (NULLs distinguished from empty strings). -#}
{% macro surrogate_key(columns) -%}
    md5(concat_ws('|'
        {%- for column in columns %}, coalesce(cast({{ column }} as {{ type_text() }}), '_null_'){% endfor -%}
    ))
{%- endmacro %}

{#- The key of every dimension's unknown member, so facts never lose a row on a failed lookup. -#}
{% macro unknown_key() -%}
    '-1'
{%- endmacro %}
