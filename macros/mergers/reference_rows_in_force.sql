{#- The merger rule for reference figures, written once (decision 0018, 3): an ICB in force uses
    its own reference rows when the reference gives them, else its predecessors' rows for the
    period (added up by the caller), marked as derived. `contributions` is a CTE with one row per
    reference row read onto the ICB its code means in the period: the keys (icb_code = the ICB in
    force, then the period and any other grain) and is_superseded (the row was stated under a
    dissolved ICB's code). own_rows_else_predecessors selects the rows to add up: every own row,
    and a predecessor's row only where the ICB has no own row for those keys. Used by
    int_reference__icb_allocations_in_force, int_reference__icb_populations_in_force and
    rpt_erf_performance. -#}
{% macro own_rows_else_predecessors(contributions, keys) -%}
    select {{ contributions }}.*
    from {{ contributions }}
    left join (
        select distinct
            {%- for key in keys %}
            {{ key }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ contributions }}
        where not is_superseded
    ) as own_rows
        on
            {%- for key in keys %}
            {{ 'and ' if not loop.first }}{{ contributions }}.{{ key }} = own_rows.{{ key }}
            {%- endfor %}
    where not {{ contributions }}.is_superseded or own_rows.{{ keys[0] }} is null
{%- endmacro %}

{#- Whether an ICB's added-up rows came from its predecessors (any row stated under a dissolved
    ICB's code): the aggregate expression, for the select that adds up own_rows_else_predecessors. -#}
{% macro is_derived_from_predecessors(is_superseded='is_superseded') -%}
    max(case when {{ is_superseded }} then 1 else 0 end) = 1
{%- endmacro %}
