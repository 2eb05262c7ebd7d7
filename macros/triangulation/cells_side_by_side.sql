{#- Two feeds' cells side by side, in one place for every triangulation: a full outer join of
    `left` and `right` (CTEs of one row per cell) on the cell's `keys`, each key taken from
    whichever side holds the cell, then `left_measures` and `right_measures` (columns of
    their side), 0 where that side has nothing for the cell. -#}
{% macro cells_side_by_side(left, right, keys, left_measures, right_measures) -%}
    select
        {%- for key in keys %}
        coalesce({{ left }}.{{ key }}, {{ right }}.{{ key }}) as {{ key }},
        {%- endfor %}
        {%- for side, measures in [(left, left_measures), (right, right_measures)] %}
        {%- set outer_loop = loop %}
        {%- for measure in measures %}
        coalesce({{ side }}.{{ measure }}, 0) as {{ measure }}{{ '' if outer_loop.last and loop.last else ',' }}
        {%- endfor %}
        {%- endfor %}
    from {{ left }}
    full outer join {{ right }}
        on
            {%- for key in keys %}
            {{ 'and ' if not loop.first }}{{ left }}.{{ key }} = {{ right }}.{{ key }}
            {%- endfor %}
{%- endmacro %}
