{#- The columns of a relation written out (optionally prefixed by a table alias, minus some),
    so that models list what they pass on instead of `select *`. Falls back to `*` when the
    relation does not exist yet (parsing, linting). -#}
{% macro star(relation, relation_alias=none, except=[]) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.name | lower not in except | map('lower') | list -%}
                {%- do names.append(prefix ~ column.name | lower) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if names | length == 0 -%}
        {{ prefix }}*
    {%- else -%}
        {{ names | join(',\n        ') }}
    {%- endif -%}
{%- endmacro %}
