{#- The code of each dimension's unknown member ('UNKNOWN'): the row a fact points at when
    its code is missing or matches nothing, and the value a report groups such rows under.
    Written once here; models write `{{ unknown_code() }}`, never the literal
    (tests/python/test_project_policy.py). -#}
{% macro unknown_code() -%}
    'UNKNOWN'
{%- endmacro %}
