{#- The one home of the pace-of-change limit of the needs-based allocation
    (docs/marts/allocation-impact.md): an ICB's needs figure may move from its population basis
    by at most the limit either way, never below 0. The solver
    (int_finance__allocation_pace_solution) and the mart (rpt_allocation_impact) both hold a
    figure within these bounds. As doubles, like the needs targets they bound. -#}

{#- The least an ICB may be given: the population basis × (1 − limit), at least 0. -#}
{% macro pace_lower_bound(population_basis, pace_limit) -%}
    greatest(cast({{ population_basis }} as double) * (1 - {{ pace_limit }}), 0)
{%- endmacro %}

{#- The most an ICB may be given: the population basis × (1 + limit). -#}
{% macro pace_upper_bound(population_basis, pace_limit) -%}
    cast({{ population_basis }} as double) * (1 + {{ pace_limit }})
{%- endmacro %}

{#- A figure held within the bounds. -#}
{% macro held_within_pace(figure, lower_bound, upper_bound) -%}
    least(greatest({{ figure }}, {{ lower_bound }}), {{ upper_bound }})
{%- endmacro %}
